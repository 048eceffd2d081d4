import { OAuth2Client, PassThroughClient } from 'google-auth-library';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import type { CloudSqlApi } from '../../functions/gcp/cloud-sql.ts';
import {
  gaxReadView,
  SqlBackupRunsServiceClient,
  SqlInstancesServiceClient,
} from '../../functions/gcp/cloud-sql-clients.ts';
import {
  answerDecoder,
  type LeanMethod,
  leanRequest,
  type ReflectedRoot,
} from '../../functions/gcp/cloud-sql-lean.ts';
import { gcpCollectors } from '../../functions/gcp/collectors.ts';
import { googleErrorCode, googleErrorMessage } from '../../functions/gcp/wire.ts';
import { runAuditReport } from '../../functions/jobs/audit.ts';
import type { Sim } from '../sim/server.ts';
import type { CloudSqlInstanceScenario } from '../sim/services/cloud-sql.ts';
import { type Loopback, loopback } from './loopback.ts';
import { cloudSqlProjectsScenario, instance, NOW, PROJECT, startGcpSim } from './sim-setup.ts';

const EMPTY_PROJECT = 'certctl-empty';
const DENIED_PROJECT = 'certctl-denied';
/** Short enough that a read retried until its timeout keeps the test quick. */
const READ_TIMEOUT_MS = 1000;

const healthy = {
  edition: 'ENTERPRISE_PLUS',
  createdAt: '-300d',
  backups: { transactionLogRetentionDays: 35, retainedBackups: 36, location: 'eu' },
} as const;

/** Every kind of instance the audit meets, the ways the API leaves fields out, and error answers. */
const INSTANCES: CloudSqlInstanceScenario[] = [
  instance('healthy', {
    ...healthy,
    finalBackup: { enabled: true, retentionDays: 30 },
    scheduledMaintenance: { start: '+3d' },
  }),
  instance('final-backup-off', { ...healthy, finalBackup: { enabled: false } }),
  instance('enterprise-7', { edition: 'ENTERPRISE', backups: { transactionLogRetentionDays: 7 } }),
  instance('no-pitr', { ...healthy, backups: { ...healthy.backups, pointInTimeRecovery: false } }),
  instance('backups-off', { backups: { enabled: false, pointInTimeRecovery: false } }),
  instance('filling', { ...healthy, recovery: { earliest: '-12d' } }),
  instance('logs-on-disk', { ...healthy, backups: { ...healthy.backups, logStorage: 'DISK' } }),
  instance('replica', { instanceType: 'READ_REPLICA_INSTANCE', masterInstanceName: `${PROJECT}:healthy` }),
  instance('mysql', { databaseVersion: 'MYSQL_8_0' }),
  instance('unlabelled', { labels: {}, edition: 'UNSPECIFIED' }),
  instance('partial', {
    omit: [
      'settings.backupConfiguration.pointInTimeRecoveryEnabled',
      'settings.backupConfiguration.transactionLogRetentionDays',
      'settings.deletionProtectionEnabled',
    ],
  }),
  instance('no-settings', { labels: {}, omit: ['settings'] }),
  instance('window-denied', { faults: { getLatestRecoveryTime: 'PERMISSION_DENIED' } }),
  instance('window-internal', { faults: { getLatestRecoveryTime: 'INTERNAL' } }),
  instance('window-throttled', { faults: { getLatestRecoveryTime: 'RESOURCE_EXHAUSTED' } }),
  instance('runs-internal', { backups: { pointInTimeRecovery: false }, faults: { backupRuns: 'INTERNAL' } }),
];

/** The instances whose seeded read fails for the call, not the instance, which fails the project. */
const FAILS_THE_PROJECT: ReadonlySet<string> = new Set([
  'window-throttled',
  'window-internal',
  'runs-internal',
]);

/** A read's outcome, comparable across the two paths: the answer, or the error's code and message. */
async function settle(reading: () => Promise<readonly unknown[]>): Promise<unknown> {
  try {
    const [answer] = await reading();
    // Serialised, so key order counts too: a report written from either answer is the same bytes.
    return { answer: JSON.stringify(answer) };
  } catch (error) {
    return { code: googleErrorCode(error), message: googleErrorMessage(error) };
  }
}

/** The same reads through the lean path and through gax only, each on a factory of its own. */
async function bothWays<T>(
  endpoint: string,
  read: (api: CloudSqlApi) => Promise<T>,
): Promise<{ lean: T; gax: T }> {
  const results: T[] = [];
  for (const leanDecoding of [true, false]) {
    const factory = new GcpClientFactory({ endpoint, readTimeoutMs: READ_TIMEOUT_MS, leanDecoding });
    try {
      results.push(await read(factory.cloudSql()));
    } finally {
      await factory.close();
    }
  }
  const [lean, gax] = results as [T, T];
  return { lean, gax };
}

describe('the lean Cloud SQL reads against the simulator', () => {
  let sim: Sim;

  beforeAll(async () => {
    ({ sim } = await startGcpSim(
      cloudSqlProjectsScenario({
        // Pages of three instances, so instances.list pages.
        maxPageSize: 3,
        projects: {
          [PROJECT]: { instances: INSTANCES },
          [EMPTY_PROJECT]: { instances: [] },
        },
      }),
    ));
  });

  afterAll(async () => {
    await sim.close();
  });

  /** Reads `read` both ways and the simulator's request counts of each way. */
  async function compare<T>(read: (api: CloudSqlApi) => Promise<T>) {
    const counts: Record<string, number>[] = [];
    const { lean, gax } = await bothWays(sim.endpoint, async (api) => {
      const before = sim.stats().byOperation;
      const result = await read(api);
      const after = sim.stats().byOperation;
      counts.push(
        Object.fromEntries(
          Object.entries(after)
            .map(([operation, count]) => [operation, count - (before[operation] ?? 0)])
            .filter(([, count]) => count !== 0),
        ),
      );
      return result;
    });
    return { lean, gax, leanRequests: counts[0], gaxRequests: counts[1] };
  }

  it('reads every instances.list page, empty ones included, into the same objects as gax with the same requests', async () => {
    // Act
    const { lean, gax, leanRequests, gaxRequests } = await compare(async (api) => {
      const pages: unknown[] = [];
      for (const project of [PROJECT, EMPTY_PROJECT]) {
        let pageToken: string | undefined;
        do {
          const [page] = await api.instances.list({
            project,
            maxResults: 3,
            ...(pageToken ? { pageToken } : {}),
          });
          pages.push(JSON.stringify(page));
          pageToken = page.nextPageToken || undefined;
        } while (pageToken);
      }
      return pages;
    });

    // Assess: 16 instances in pages of 3, then the empty project's one empty page.
    expect(lean).toHaveLength(7);
    expect(lean).toEqual(gax);
    expect(leanRequests).toEqual(gaxRequests);
  });

  it('reads getLatestRecoveryTime of every instance the same both ways, error answers included, each sent once', async () => {
    // Act
    const { lean, gax, leanRequests, gaxRequests } = await compare(async (api) => {
      const outcomes: Record<string, unknown> = {};
      for (const { name } of INSTANCES.filter((each) => each.name !== 'window-throttled')) {
        outcomes[name] = await settle(() =>
          api.instances.getLatestRecoveryTime({ project: PROJECT, instance: name }),
        );
      }
      outcomes.missing = await settle(() =>
        api.instances.getLatestRecoveryTime({ project: PROJECT, instance: 'no-such-instance' }),
      );
      return outcomes;
    });

    // Assess: answers, 400 (PITR off), 403, 404 and 500 alike, and no request sent twice.
    expect(lean).toEqual(gax);
    expect(lean).toMatchObject({
      healthy: { answer: expect.stringContaining('earliestRecoveryTime') },
      'no-pitr': { code: 'FAILED_PRECONDITION' },
      'window-denied': { code: 'PERMISSION_DENIED' },
      'window-internal': { code: 'INTERNAL' },
      missing: { code: 'NOT_FOUND' },
    });
    expect(leanRequests).toEqual(gaxRequests);
  });

  it('reads every backupRuns.list page the same both ways, failures included', async () => {
    // Act
    const { lean, gax, leanRequests, gaxRequests } = await compare(async (api) => {
      const outcomes: Record<string, unknown[]> = {};
      for (const name of ['healthy', 'no-pitr', 'backups-off', 'runs-internal', 'no-such-instance']) {
        const pages: unknown[] = [];
        let pageToken: string | undefined;
        do {
          const outcome = await settle(async () => {
            const answer = await api.backupRuns.list({
              project: PROJECT,
              instance: name,
              maxResults: 10,
              ...(pageToken ? { pageToken } : {}),
            });
            pageToken = answer[0].nextPageToken || undefined;
            return answer;
          });
          pages.push(outcome);
          if (!(outcome as { answer?: string }).answer) pageToken = undefined;
        } while (pageToken);
        outcomes[name] = pages;
      }
      return outcomes;
    });

    // Assess: the healthy instance keeps 36 daily runs, 12 pages of the simulator's largest, 3.
    expect(lean.healthy).toHaveLength(12);
    expect(lean['backups-off']).toHaveLength(1);
    expect(lean['runs-internal']).toEqual([expect.objectContaining({ code: 'INTERNAL' })]);
    expect(lean['no-such-instance']).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
    expect(lean).toEqual(gax);
    expect(leanRequests).toEqual(gaxRequests);
  });

  it('serves clean successes without the gax clients, and hands only the error answers to them', async () => {
    // Prepare: the gax methods the lean path stands in for.
    const gaxCalls = [
      vi.spyOn(SqlInstancesServiceClient.prototype, 'list'),
      vi.spyOn(SqlInstancesServiceClient.prototype, 'getLatestRecoveryTime'),
      vi.spyOn(SqlBackupRunsServiceClient.prototype, 'list'),
    ];
    const calls = () => gaxCalls.map((spy) => spy.mock.calls.length);

    try {
      // Act
      const { lean, gax } = await bothWays(sim.endpoint, async (api) => {
        const before = calls();
        await api.instances.list({ project: PROJECT, maxResults: 3 });
        await api.instances.getLatestRecoveryTime({ project: PROJECT, instance: 'healthy' });
        await api.backupRuns.list({ project: PROJECT, instance: 'no-pitr', maxResults: 3 });
        await settle(() =>
          api.instances.getLatestRecoveryTime({ project: PROJECT, instance: 'window-denied' }),
        );
        return calls().map((count, index) => count - (before[index] ?? 0));
      });

      // Assess: list, getLatestRecoveryTime, backupRuns.list through gax only for the 403.
      expect(lean).toEqual([0, 1, 0]);
      expect(gax).toEqual([1, 2, 1]);
    } finally {
      for (const spy of gaxCalls) spy.mockRestore();
    }
  });

  it('fails a project the caller cannot see with the same 403 both ways', async () => {
    // Act
    const { lean, gax, leanRequests, gaxRequests } = await compare((api) =>
      settle(() => api.instances.list({ project: DENIED_PROJECT, maxResults: 3 })),
    );

    // Assess
    expect(lean).toEqual({ code: 'PERMISSION_DENIED', message: expect.stringContaining(DENIED_PROJECT) });
    expect(lean).toEqual(gax);
    expect(leanRequests).toEqual({ 'cloudSql:instances.list': 1 });
    expect(leanRequests).toEqual(gaxRequests);
  });

  it('retries a throttled (429) read with gax policy until the read timeout, as gax alone does', async () => {
    // Act
    const { lean, gax, leanRequests } = await compare((api) =>
      settle(() => api.instances.getLatestRecoveryTime({ project: PROJECT, instance: 'window-throttled' })),
    );

    // Assess: the lean attempt's 429 is gax's first attempt; gax retries the rest.
    expect(lean).toEqual({ code: 'DEADLINE_EXCEEDED', message: expect.any(String) });
    expect((lean as { code: string }).code).toBe((gax as { code: string }).code);
    expect(leanRequests?.['cloudSql:instances.getLatestRecoveryTime']).toBeGreaterThan(1);
  });
});

describe('a full GCP audit through the lean reads', () => {
  let sim: Sim;

  afterEach(async () => {
    await sim?.close();
  });

  async function audit(leanDecoding: boolean): Promise<{ report: AuditReport; requests: number }> {
    const factory = new GcpClientFactory({ endpoint: sim.endpoint, leanDecoding });
    const before = sim.stats().byService.cloudSql ?? 0;
    try {
      const report = await runAuditReport(
        { providers: ['gcp'] },
        {
          policy: parsePolicy({
            gcp: { projects: [PROJECT, EMPTY_PROJECT, DENIED_PROJECT] },
            pitr: { requireCrossRegionBackup: true },
            targets: { identifiers: ['no-settings'] },
          }),
          gcp: { clients: factory, collectors: gcpCollectors },
          now: () => NOW,
        },
      );
      return { report, requests: (sim.stats().byService.cloudSql ?? 0) - before };
    } finally {
      await factory.close();
    }
  }

  it('writes the byte-identical report both ways, with the same requests, throttling and 5xx included', async () => {
    // Prepare: throttling and unavailability on a fifth of the requests (deterministic per request
    // and per how often it was seen, so both runs meet the same faults when they send the same).
    ({ sim } = await startGcpSim(
      cloudSqlProjectsScenario({
        maxPageSize: 4,
        projects: {
          // A read that fails for the call (throttled, INTERNAL) fails the whole project
          // (gcp/cloud-sql.ts failScopeOnCallFailure): those instances are left out, or no instance
          // of the project would be judged either way.
          [PROJECT]: { instances: INSTANCES.filter((each) => !FAILS_THE_PROJECT.has(each.name)) },
          [EMPTY_PROJECT]: { instances: [] },
        },
      }),
      { faults: { throttleRate: 0.1, errorRate: 0.1, services: ['cloudSql'], seed: 7 } },
    ));

    // Act
    const lean = await audit(true);
    sim.setFaults({ throttleRate: 0.1, errorRate: 0.1, services: ['cloudSql'], seed: 7 });
    const gax = await audit(false);

    // Assess
    expect(lean.report.findings.length).toBeGreaterThan(40);
    expect(JSON.stringify(lean.report)).toBe(JSON.stringify(gax.report));
    expect(lean.requests).toBe(gax.requests);
  });
});

/** The read view's protobufjs types, as a read client loads them. */
function readViewRoot(): ReflectedRoot {
  const client = new SqlInstancesServiceClient(
    {
      fallback: true,
      authClient: new PassThroughClient(),
      apiEndpoint: '127.0.0.1',
      port: 1,
      protocol: 'http',
    },
    gaxReadView,
  );
  return (client as unknown as { _protos: ReflectedRoot })._protos;
}

describe('the lean answer decoder', () => {
  const root = readViewRoot();
  const list = answerDecoder(root, 'instances.list');

  it.each([
    ['a name that is a number', { items: [{ name: 5 }] }],
    ['items that are not a list', { items: { name: 'db-1' } }],
    ['a timestamp that is a number', { items: [{ createTime: 1_700_000_000 }] }],
    ['a timestamp with an offset', { items: [{ createTime: '2026-03-01T12:00:00+01:00' }] }],
    ['an enum name the protos do not know', { items: [{ state: 'SOMETHING_NEW' }] }],
    ['a fractional enum number', { items: [{ state: 1.5 }] }],
    ['a BoolValue as an object', { items: [{ settings: { deletionProtectionEnabled: { value: true } } }] }],
    ['a null message', { items: [{ settings: null }] }],
    ['labels that are not strings', { items: [{ settings: { userLabels: { team: 1 } } }] }],
    ['an answer that is a list', [{ items: [] }]],
  ])('leaves %s to gax', (_case, body) => {
    // Act
    const decoded = list(JSON.stringify(body));

    // Assess
    expect(decoded).toBeUndefined();
  });

  it.each([
    ['a BoolValue as a string', { deletionProtectionEnabled: 'true' }, 'deletionProtectionEnabled'],
    ['a BoolValue as a number', { retainBackupsOnDelete: 1 }, 'retainBackupsOnDelete'],
    ['a null wrapper', { retainBackupsOnDelete: null }, 'retainBackupsOnDelete'],
    [
      'an Int32Value out of range',
      { backupConfiguration: { transactionLogRetentionDays: 2 ** 31 } },
      'transactionLogRetentionDays',
    ],
    [
      'an Int32Value that is not a number',
      { backupConfiguration: { transactionLogRetentionDays: 'abc' } },
      'transactionLogRetentionDays',
    ],
    [
      'a fractional Int32Value',
      { backupConfiguration: { transactionLogRetentionDays: 3.5 } },
      'transactionLogRetentionDays',
    ],
  ])('reads %s as not sent (null), never coerced', (_case, settings, field) => {
    // Act
    const decoded = list(JSON.stringify({ items: [{ name: 'db-1', settings }] })) as {
      items: {
        settings: Record<string, unknown> & { backupConfiguration: Record<string, unknown> | null };
      }[];
    };

    // Assess
    const read = decoded.items[0]?.settings;
    expect(field in (read ?? {}) ? read?.[field] : read?.backupConfiguration?.[field]).toBeNull();
    expect(Object.hasOwn(read ?? {}, field) || Object.hasOwn(read?.backupConfiguration ?? {}, field)).toBe(
      true,
    );
  });

  it('reads a proto3 optional sent with the wrong type as unset', () => {
    // Act
    const decoded = list(
      JSON.stringify({
        items: [{ settings: { finalBackupConfig: { enabled: 'yes', retentionDays: 'x' } } }],
      }),
    ) as { items: { settings: { finalBackupConfig: Record<string, unknown> } }[] };

    // Assess
    expect(decoded.items[0]?.settings.finalBackupConfig).toEqual({});
  });

  it('reads an Int32Value sent as a decimal string as its number, as gax does', () => {
    // Act
    const decoded = list(
      JSON.stringify({
        items: [{ settings: { backupConfiguration: { transactionLogRetentionDays: '35' } } }],
      }),
    ) as { items: { settings: { backupConfiguration: Record<string, unknown> } }[] };

    // Assess
    expect(decoded.items[0]?.settings.backupConfiguration.transactionLogRetentionDays).toEqual({ value: 35 });
  });

  it('leaves a body that is not JSON to gax', () => {
    // Act
    const decoded = list('<html>Bad gateway</html>');

    // Assess
    expect(decoded).toBeUndefined();
  });

  it('fills every absent field with the default gax gives it', () => {
    // Act
    const decoded = list('{}');

    // Assess
    expect(decoded).toEqual({ warnings: [], items: [], nextPageToken: '' });
  });
});

describe('the lean answers against gax on odd bodies', () => {
  let api: Loopback | undefined;

  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  /** The answer served for every request; both ways read it once. */
  async function serve(body: string, status = 200) {
    api = await loopback((_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    });
    const server = api;
    const { lean, gax } = await bothWays(server.endpoint, async (reads) => {
      const before = server.requests.length;
      const outcome = await settle(() => reads.instances.list({ project: PROJECT }));
      return { outcome, requests: server.requests.length - before };
    });
    return { lean, gax };
  }

  it.each([
    [
      'every kept field, unknown enum numbers and fractional timestamps',
      {
        items: [
          {
            name: 'db-1',
            selfLink: 'https://sqladmin.googleapis.com/v1/projects/p/instances/db-1',
            connectionName: 'p:europe-west1:db-1',
            region: 'europe-west1',
            databaseVersion: 9999,
            instanceType: 1,
            state: 1,
            masterInstanceName: '',
            replicaNames: ['db-1-replica'],
            createTime: '2026-01-02T03:04:05.123456789Z',
            settings: {
              userLabels: { 'certctl-backup-guard': 'enabled' },
              edition: 2,
              deletionProtectionEnabled: false,
              retainBackupsOnDelete: true,
              finalBackupConfig: { enabled: false, retentionDays: 0 },
              backupConfiguration: {
                enabled: true,
                location: 'eu',
                pointInTimeRecoveryEnabled: true,
                transactionLogRetentionDays: 0,
                transactionalLogStorageState: 3,
                backupRetentionSettings: { retentionUnit: 1, retainedBackups: 36 },
              },
              tier: 'db-custom-2-7680',
              ipConfiguration: { ipv4Enabled: true },
            },
            scheduledMaintenance: { startTime: '1969-12-31T23:59:59.5Z', canDefer: true },
            ipAddresses: [{ ipAddress: '10.0.0.1' }],
          },
          { name: 'db-2', settings: { finalBackupConfig: {} }, createTime: '2026-01-02T03:04:05.1Z' },
          { name: 'db-3', state: 'RUNNABLE', settings: { edition: 'ENTERPRISE' } },
        ],
        nextPageToken: 'next/page+token=',
        warnings: [],
      },
    ],
    ['an empty page', { items: [] }],
    ['no fields at all', {}],
    [
      'wrapper and optional values of the wrong JSON type, and an int32 as a string',
      {
        items: [
          {
            name: 'db-1',
            settings: {
              deletionProtectionEnabled: 'false',
              retainBackupsOnDelete: null,
              finalBackupConfig: { enabled: 1, retentionDays: '7' },
              backupConfiguration: {
                enabled: 'true',
                pointInTimeRecoveryEnabled: 'true',
                transactionLogRetentionDays: 'abc',
                backupRetentionSettings: { retainedBackups: '31' },
              },
            },
          },
        ],
      },
    ],
  ])('decodes %s exactly as gax does, in one request', async (_case, body) => {
    // Act
    const { lean, gax } = await serve(JSON.stringify(body));

    // Assess
    expect(lean).toEqual(gax);
    expect(lean.outcome).toHaveProperty('answer');
    expect(lean.requests).toBe(1);
  });

  it('hands a 200 whose body is not JSON to gax, which retries it as unavailable until the read timeout', async () => {
    // Act
    const { lean, gax } = await serve('<html>ok</html>');

    // Assess: both retry the body gax cannot parse until the read timeout. Which timer ends the last
    // retry is a race on a loaded machine: gax's total timeout (naming the JSON error it retried) or
    // the transport's read timeout of the time that was left. Either is the same outcome, and the
    // lean path must never end in a decoding error of its own.
    const retriedToDeadline = {
      code: 'DEADLINE_EXCEEDED',
      message: expect.stringMatching(
        /^(Total timeout of API google\.cloud\.sql\.v1\.SqlInstancesService exceeded \d+ milliseconds retrying error Error: Unexpected token '<', "<html>ok<\/html>" is not valid JSON|no answer from the Cloud SQL Admin API at \S+ within the 1 s read timeout, retries included)/,
      ),
    };
    expect(gax.outcome).toEqual(retriedToDeadline);
    expect(lean.outcome).toEqual(retriedToDeadline);
    expect(lean.requests).toBeGreaterThan(1);
  });

  it.each([
    [
      'an answer gax reads but the lean decoder does not',
      { items: [{ name: 'db-1', state: 'RUNNABLE', settings: null }] },
      200,
    ],
    ['a 404 error', { error: { code: 404, message: 'not found', status: 'NOT_FOUND' } }, 404],
    ['a 403 error', { error: { code: 403, message: 'denied', status: 'PERMISSION_DENIED' } }, 403],
    ['a 500 error page', '<html>Internal error with secret-ish detail</html>', 500],
  ])('hands %s to gax, which reads it once and says the same', async (_case, body, status) => {
    // Act
    const { lean, gax } = await serve(typeof body === 'string' ? body : JSON.stringify(body), status);

    // Assess
    expect(lean).toEqual(gax);
    expect(lean.requests).toBe(1);
  });
});

describe('the lean reads with credentials', () => {
  let api: Loopback | undefined;

  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  /** An OAuth2 client whose token `refreshed` replaces, as ADC refreshes one; counts its refreshes. */
  function oauthClient(credentials: { access_token: string; expiry_date?: number }) {
    const client = new OAuth2Client();
    client.setCredentials(credentials);
    client.quotaProjectId = 'certctl-quota';
    const refreshes: string[] = [];
    client.refreshHandler = async () => {
      refreshes.push('refresh');
      return { access_token: `fresh-token-${refreshes.length}`, expiry_date: Date.now() + 3_600_000 };
    };
    return { client, refreshes };
  }

  /** One read per way, each with an auth client of its own made by `makeAuth`. */
  async function readBothWays(makeAuth: () => ReturnType<typeof oauthClient>) {
    const server = api as Loopback;
    const outcomes: { outcome: unknown; refreshes: number; authorization: unknown[] }[] = [];
    for (const leanDecoding of [true, false]) {
      const { client, refreshes } = makeAuth();
      const factory = new GcpClientFactory({
        endpoint: server.endpoint,
        auth: { getClient: async () => client },
        readTimeoutMs: READ_TIMEOUT_MS,
        leanDecoding,
      });
      const before = server.requests.length;
      try {
        const outcome = await settle(() => factory.cloudSql().instances.list({ project: PROJECT }));
        const sent = server.requests.slice(before);
        outcomes.push({
          outcome,
          refreshes: refreshes.length,
          authorization: sent.map((request) => request.headers.authorization),
        });
      } finally {
        await factory.close();
      }
    }
    return { lean: outcomes[0], gax: outcomes[1] };
  }

  it('sends the credentials and quota project headers gax sends', async () => {
    // Prepare
    api = await loopback((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"items":[]}');
    });

    // Act
    await readBothWays(() =>
      oauthClient({ access_token: 'valid-token', expiry_date: Date.now() + 3_600_000 }),
    );

    // Assess: the same headers, the sockets' own aside.
    const [lean, gax] = api.requests;
    const headers = (message: typeof lean) =>
      Object.fromEntries(Object.entries(message?.headers ?? {}).sort(([a], [b]) => a.localeCompare(b)));
    expect(lean?.headers).toMatchObject({
      authorization: 'Bearer valid-token',
      'x-goog-user-project': 'certctl-quota',
    });
    expect(headers(lean)).toEqual(headers(gax));
  });

  it('refreshes an expired token before the request, as gax does', async () => {
    // Prepare
    api = await loopback((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"items":[]}');
    });

    // Act
    const { lean, gax } = await readBothWays(() =>
      oauthClient({ access_token: 'expired-token', expiry_date: Date.now() - 1000 }),
    );

    // Assess
    expect(lean).toEqual({
      outcome: { answer: '{"warnings":[],"items":[],"nextPageToken":""}' },
      refreshes: 1,
      authorization: ['Bearer fresh-token-1'],
    });
    expect(lean).toEqual(gax);
  });

  it('hands a 401 to gax, whose auth client refreshes the token and sends again, without sending the first request twice', async () => {
    // Prepare: the first token is refused; google-auth-library refreshes a token without an expiry on a 401.
    api = await loopback((request, response) => {
      const refused = request.headers.authorization === 'Bearer revoked-token';
      response.writeHead(refused ? 401 : 200, { 'content-type': 'application/json' });
      response.end(
        refused
          ? JSON.stringify({
              error: {
                code: 401,
                message: 'Request had invalid authentication credentials.',
                status: 'UNAUTHENTICATED',
              },
            })
          : '{"items":[]}',
      );
    });

    // Act
    const { lean, gax } = await readBothWays(() => oauthClient({ access_token: 'revoked-token' }));

    // Assess
    expect(lean).toEqual({
      outcome: { answer: '{"warnings":[],"items":[],"nextPageToken":""}' },
      refreshes: 1,
      authorization: ['Bearer revoked-token', 'Bearer fresh-token-1'],
    });
    expect(lean).toEqual(gax);
  });
});

describe('the lean requests', () => {
  const cases: [LeanMethod, Record<string, unknown>][] = [
    ['instances.list', { project: 'certctl-prod' }],
    ['instances.list', { project: 'example.com:certctl', maxResults: 1000, pageToken: 'a/b+c=d~e!' }],
    ['instances.getLatestRecoveryTime', { project: 'certctl-prod', instance: 'db (1)' }],
    ['instances.getLatestRecoveryTime', { project: 'certctl.prod~2', instance: 'db_1.a-B~c' }],
    ['backupRuns.list', { project: 'certctl-prod', instance: 'db-1', maxResults: 500, pageToken: 'tok*en' }],
  ];

  it.each(cases)(
    'builds %s %j on the path and query the simulator routes, as gax sends it',
    async (method, request) => {
      // Prepare
      api = await loopback((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      });
      const server = api;

      // Act
      await bothWays(server.endpoint, async (reads) => {
        if (method === 'instances.list') await reads.instances.list(request);
        else if (method === 'backupRuns.list') await reads.backupRuns.list(request);
        else await reads.instances.getLatestRecoveryTime(request);
      });

      // Assess: the same path, query and headers (the sockets' own headers aside).
      const [lean, gax] = server.requests;
      expect(lean?.url).toBe(gax?.url);
      expect(lean?.url).toBe(leanRequest(method, request)?.pathAndQuery);
      const headers = (message: typeof lean) =>
        Object.fromEntries(Object.entries(message?.headers ?? {}).sort(([a], [b]) => a.localeCompare(b)));
      expect(headers(lean)).toEqual(headers(gax));
    },
  );

  let api: Loopback | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('leaves a request whose value cannot be percent-encoded to gax, which fails it as it always does', async () => {
    // Prepare
    api = await loopback((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });

    // Act: a lone surrogate, which encodeURIComponent refuses.
    const { lean, gax } = await bothWays(api.endpoint, (reads) =>
      settle(() => reads.instances.list({ project: 'certctl-\ud800' })),
    );

    // Assess
    expect(lean).toEqual(gax);
    expect(lean).toHaveProperty('code');
    expect(api.requests).toHaveLength(0);
  });

  it.each([
    ['a field it does not place', 'instances.list', { project: 'p', filter: 'state:RUNNABLE' }],
    ['an empty project', 'instances.list', { project: '' }],
    ['a path segment of ..', 'instances.getLatestRecoveryTime', { project: 'p', instance: '..' }],
    ['a maxResults of 0', 'backupRuns.list', { project: 'p', instance: 'db', maxResults: 0 }],
  ] as const)('leaves a request with %s to gax', (_case, method, request) => {
    // Act
    const built = leanRequest(method, request);

    // Assess
    expect(built).toBeUndefined();
  });
});
