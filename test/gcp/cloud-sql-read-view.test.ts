import sqlProtos from '@google-cloud/sql/build/protos/protos.json' with { type: 'json' };
import gaxFallback from 'google-gax/fallback';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { type CloudSqlApi, readCloudSqlPitrFacts } from '../../functions/gcp/cloud-sql.ts';
import {
  CLOUD_SQL_READ_FIELDS,
  declaresCloudSqlV1,
  pruneReadAnswers,
} from '../../functions/gcp/cloud-sql-read-view.ts';
import { googleErrorCode, googleErrorMessage } from '../../functions/gcp/wire.ts';
import type { Sim } from '../sim/server.ts';
import type { CloudSqlInstanceScenario } from '../sim/services/cloud-sql.ts';
import { cloudSqlProjectsScenario, instance, NOW, PROJECT, startGcpSim } from './sim-setup.ts';

const EMPTY_PROJECT = 'certctl-empty';
const DENIED_PROJECT = 'certctl-denied';

/** A fleet that reaches every kept field, and the ways the API leaves fields out. */
const INSTANCES: CloudSqlInstanceScenario[] = [
  instance('pitr-cloud-storage', {
    edition: 'ENTERPRISE_PLUS',
    backups: { transactionLogRetentionDays: 14, retainedBackups: 15, location: 'eu' },
    finalBackup: { enabled: true, retentionDays: 30 },
    scheduledMaintenance: { start: '+3d' },
  }),
  instance('pitr-off', { backups: { pointInTimeRecovery: false } }),
  instance('logs-on-disk', { backups: { logStorage: 'DISK', transactionLogRetentionDays: 7 } }),
  instance('backups-off', { backups: { enabled: false, pointInTimeRecovery: false } }),
  instance('replica', { instanceType: 'READ_REPLICA_INSTANCE', masterInstanceName: `${PROJECT}:pitr-off` }),
  instance('mysql', { databaseVersion: 'MYSQL_8_0' }),
  instance('unlabelled', { labels: {}, edition: 'UNSPECIFIED' }),
  instance('partial', {
    omit: [
      'settings.backupConfiguration.pointInTimeRecoveryEnabled',
      'settings.backupConfiguration.transactionLogRetentionDays',
      'settings.deletionProtectionEnabled',
    ],
  }),
  instance('window-fails', { faults: { getLatestRecoveryTime: 'PERMISSION_DENIED' } }),
  instance('runs-fail', {
    backups: { pointInTimeRecovery: false },
    faults: { backupRuns: 'FAILED_PRECONDITION' },
  }),
];

/** The message types a kept field holds, to project a full answer onto the kept fields. */
const NESTED: Partial<
  Record<keyof typeof CLOUD_SQL_READ_FIELDS, Record<string, keyof typeof CLOUD_SQL_READ_FIELDS>>
> = {
  InstancesListResponse: { items: 'DatabaseInstance' },
  DatabaseInstance: {
    settings: 'Settings',
    scheduledMaintenance: 'DatabaseInstance.SqlScheduledMaintenance',
  },
  Settings: { backupConfiguration: 'BackupConfiguration', finalBackupConfig: 'FinalBackupConfig' },
  BackupConfiguration: { backupRetentionSettings: 'BackupRetentionSettings' },
  BackupRunsListResponse: { items: 'BackupRun' },
};

/** `answer` (decoded with the full protos) cut to the kept fields of `type`, recursively. */
function kept(answer: unknown, type: keyof typeof CLOUD_SQL_READ_FIELDS): unknown {
  if (answer === null || answer === undefined) return answer;
  if (Array.isArray(answer)) return answer.map((element) => kept(element, type));
  const object = answer as Record<string, unknown>;
  const nested = NESTED[type] ?? {};
  const fields: readonly string[] = CLOUD_SQL_READ_FIELDS[type];
  // A proto3 `optional` field also appears as its synthetic oneof, `_field: 'field'` (oneofs: true).
  const oneofs = Object.entries(object).filter(
    ([key, value]) => key.startsWith('_') && typeof value === 'string' && fields.includes(value),
  );
  return Object.fromEntries([
    ...fields
      .filter((field) => Object.hasOwn(object, field))
      .map((field) => {
        const nestedType = nested[field];
        return [field, nestedType ? kept(object[field], nestedType) : object[field]];
      }),
    ...oneofs,
  ]);
}

/** What a rejected read says: the code and the one-line message the adapter quotes. */
async function failure(reading: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await reading;
  } catch (error) {
    return { code: googleErrorCode(error), message: googleErrorMessage(error) };
  }
  throw new Error('the read succeeded');
}

describe('the Cloud SQL read view', () => {
  let sim: Sim | undefined;
  let factory: GcpClientFactory;
  let full: CloudSqlApi;
  let read: CloudSqlApi;

  beforeEach(async () => {
    ({ sim } = await startGcpSim(
      cloudSqlProjectsScenario({
        maxPageSize: 4,
        projects: {
          [PROJECT]: { instances: INSTANCES },
          [EMPTY_PROJECT]: { instances: [] },
          [DENIED_PROJECT]: { instances: [instance('hidden')], faults: { list: 'PERMISSION_DENIED' } },
        },
      }),
    ));
    factory = new GcpClientFactory({ endpoint: sim.endpoint });
    // The generated clients with the whole protos, as every other caller of the factory has them.
    full = {
      instances: {
        list: async (request) => (await factory.instances()).list(request),
        getLatestRecoveryTime: async (request) => (await factory.instances()).getLatestRecoveryTime(request),
      },
      backupRuns: { list: async (request) => (await factory.backupRuns()).list(request) },
    };
    read = factory.cloudSql();
  });

  afterEach(async () => {
    await factory.close();
    await sim?.close();
    sim = undefined;
  });

  it('decodes the kept fields of every instances.list page exactly as the full protos do, a page with a nextPageToken included', async () => {
    // Prepare
    const pages: { full: unknown; read: unknown }[] = [];
    let pageToken: string | undefined;

    // Act
    do {
      const request = { project: PROJECT, maxResults: 1000, ...(pageToken ? { pageToken } : {}) };
      const [fullPage] = await full.instances.list(request);
      const [readPage] = await read.instances.list(request);
      pages.push({ full: fullPage, read: readPage });
      pageToken = readPage.nextPageToken || undefined;
      expect(pageToken).toBe(fullPage.nextPageToken || undefined);
    } while (pageToken);

    // Assess
    expect(pages).toHaveLength(3);
    const [first] = pages;
    expect((first?.read as { nextPageToken?: string } | undefined)?.nextPageToken).toMatch(/./);
    for (const page of pages) expect(page.read).toStrictEqual(kept(page.full, 'InstancesListResponse'));
    // The fields no one reads are not decoded at all.
    const [fullInstance] = (first?.full as { items?: Record<string, unknown>[] } | undefined)?.items ?? [];
    const [readInstance] = (first?.read as { items?: Record<string, unknown>[] } | undefined)?.items ?? [];
    expect(fullInstance).toHaveProperty('ipAddresses');
    expect(readInstance).not.toHaveProperty('ipAddresses');
    expect(Object.keys(readInstance ?? {}).sort()).toEqual(
      [...CLOUD_SQL_READ_FIELDS.DatabaseInstance].sort(),
    );
  });

  it('decodes an empty instances.list page as the full protos do', async () => {
    // Act
    const [fullPage] = await full.instances.list({ project: EMPTY_PROJECT });
    const [readPage] = await read.instances.list({ project: EMPTY_PROJECT });

    // Assess
    expect(readPage).toStrictEqual(kept(fullPage, 'InstancesListResponse'));
    expect(readPage).toStrictEqual({ warnings: [], items: [], nextPageToken: '' });
  });

  it('decodes getLatestRecoveryTime and backupRuns.list answers as the full protos do', async () => {
    let runs = 0;
    const pitrInCloudStorage = new Set(['pitr-cloud-storage', 'unlabelled', 'partial', 'mysql']);
    for (const { name } of INSTANCES.filter((scenario) => !scenario.faults)) {
      // Act
      const request = { project: PROJECT, instance: name };
      if (pitrInCloudStorage.has(name)) {
        const [fullWindow] = await full.instances.getLatestRecoveryTime(request);
        const [readWindow] = await read.instances.getLatestRecoveryTime(request);
        expect(readWindow.earliestRecoveryTime).toBeTruthy();
        expect(readWindow).toStrictEqual(kept(fullWindow, 'SqlInstancesGetLatestRecoveryTimeResponse'));
      }
      const [fullRuns] = await full.backupRuns.list({ ...request, maxResults: 500 });
      const [readRuns] = await read.backupRuns.list({ ...request, maxResults: 500 });

      // Assess
      expect(readRuns).toStrictEqual(kept(fullRuns, 'BackupRunsListResponse'));
      runs += readRuns.items?.length ?? 0;
    }
    expect(runs).toBeGreaterThan(0);
  });

  it('rejects an error answer with the same code and message as the full protos', async () => {
    // Act
    const answers = await Promise.all(
      [full, read].map(async (api) => ({
        list: await failure(api.instances.list({ project: DENIED_PROJECT })),
        window: await failure(
          api.instances.getLatestRecoveryTime({ project: PROJECT, instance: 'window-fails' }),
        ),
        runs: await failure(api.backupRuns.list({ project: PROJECT, instance: 'runs-fail' })),
      })),
    );

    // Assess
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[1]?.list.code).toBe('PERMISSION_DENIED');
    expect(answers[1]?.runs.code).toBe('FAILED_PRECONDITION');
  });

  it('yields the same PITR facts as the full protos for every instance of the project', async () => {
    // Prepare
    const policy = parsePolicy({ gcp: { projects: [PROJECT] } });
    const options = { now: () => NOW, instanceConcurrency: 3 };

    // Act
    const fromFull = await readCloudSqlPitrFacts(full, PROJECT, policy, options);
    const fromRead = await readCloudSqlPitrFacts(read, PROJECT, policy, options);

    // Assess
    const byId = (facts: typeof fromFull) =>
      [...facts].sort((a, b) => (a.resource.id < b.resource.id ? -1 : 1));
    expect(byId(fromRead)).toStrictEqual(byId(fromFull));
    expect(fromRead.map((fact) => fact.resource.id).sort()).toEqual([
      'backups-off',
      'logs-on-disk',
      'partial',
      'pitr-cloud-storage',
      'pitr-off',
      'runs-fail',
      'window-fails',
    ]);
  });
});

describe('pruneReadAnswers', () => {
  const descriptor = {
    nested: {
      google: {
        nested: {
          cloud: {
            nested: {
              sql: {
                nested: {
                  v1: {
                    nested: Object.fromEntries(
                      Object.entries(CLOUD_SQL_READ_FIELDS)
                        .filter(([name]) => !name.includes('.'))
                        .map(([name, fields]) => [
                          name,
                          {
                            fields: Object.fromEntries(
                              [...fields, 'unread'].map((field, id) => [
                                field,
                                { type: 'string', id: id + 1 },
                              ]),
                            ),
                            nested: {
                              SqlScheduledMaintenance: {
                                fields: {
                                  startTime: { type: 'string', id: 1 },
                                  canDefer: { type: 'bool', id: 2 },
                                },
                              },
                            },
                          },
                        ]),
                    ),
                  },
                },
              },
            },
          },
        },
      },
    },
  };

  it('keeps only the read fields of the answer types and leaves its input unchanged', () => {
    // Prepare
    const before = JSON.stringify(descriptor);

    // Act
    const pruned = pruneReadAnswers(descriptor);

    // Assess
    const v1 = (pruned.nested?.google?.nested?.cloud?.nested?.sql?.nested?.v1?.nested ?? {}) as Record<
      string,
      { fields: object; nested: Record<string, { fields: object }> }
    >;
    expect(Object.keys(v1.BackupRun?.fields ?? {})).toEqual([...CLOUD_SQL_READ_FIELDS.BackupRun]);
    expect(Object.keys(v1.DatabaseInstance?.nested.SqlScheduledMaintenance?.fields ?? {})).toEqual([
      'startTime',
    ]);
    expect(JSON.stringify(descriptor)).toBe(before);
    expect(declaresCloudSqlV1(descriptor)).toBe(true);
    expect(declaresCloudSqlV1({ nested: { google: { nested: { cloud: { nested: {} } } } } })).toBe(false);
  });

  it('leaves out the package versions other than v1, and the cut real protos still resolve', () => {
    // Act
    const pruned = pruneReadAnswers(sqlProtos as never);
    const root = gaxFallback.protobuf.Root.fromJSON(pruned as gaxFallback.protobuf.INamespace);

    // Assess: every reference of what is kept resolves, the read services included.
    expect(Object.keys(sqlProtos.nested.google.nested.cloud.nested.sql.nested)).toContain('v1beta4');
    expect(Object.keys(pruned.nested?.google?.nested?.cloud?.nested?.sql?.nested ?? {})).toEqual(['v1']);
    expect(() => root.resolveAll()).not.toThrow();
    expect(root.lookupService('google.cloud.sql.v1.SqlInstancesService').methods.List).toBeDefined();
    expect(root.lookupService('google.cloud.sql.v1.SqlBackupRunsService').methods.List).toBeDefined();
  });

  it('fails with the type and field named when the protos no longer declare a kept field', () => {
    // Prepare
    const v1 = descriptor.nested.google.nested.cloud.nested.sql.nested.v1.nested;
    const renamed = structuredClone(descriptor);
    const backupRun = renamed.nested.google.nested.cloud.nested.sql.nested.v1.nested.BackupRun as {
      fields: Record<string, unknown>;
    };
    delete backupRun.fields.endTime;

    // Act
    const pruning = () => pruneReadAnswers(renamed);

    // Assess
    expect(v1.BackupRun).toBeDefined();
    expect(pruning).toThrow('google.cloud.sql.v1.BackupRun has no field endTime in the protos');
  });
});
