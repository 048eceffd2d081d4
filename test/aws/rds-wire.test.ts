import { Readable } from 'node:stream';
import {
  CreateDBClusterSnapshotCommand,
  CreateDBSnapshotCommand,
  type DBCluster,
  type DBClusterSnapshot,
  type DBInstance,
  type DBInstanceAutomatedBackup,
  type DBSnapshot,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  DescribeGlobalClustersCommand,
  paginateDescribeDBClusters,
  paginateDescribeDBInstanceAutomatedBackups,
  paginateDescribeDBInstances,
  RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectRdsPitrFacts } from '../../functions/aws/rds.ts';
import {
  decodeRdsListResult,
  LEAN_RESULTS,
  leanListPages,
  leanRdsListPlugin,
  leanResultShape,
  type Shape,
  type StreamCollector,
} from '../../functions/aws/rds-wire.ts';
import { XmlWireError } from '../../functions/aws/xml-wire.ts';
import { pitrDeletionProtectionCheck } from '../../functions/checks/pitr/deletion-protection.ts';
import { pitrEnabledCheck } from '../../functions/checks/pitr/enabled.ts';
import { pitrWindowCheck } from '../../functions/checks/pitr/window.ts';
import { CloudApiError } from '../../functions/core/errors.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../sim/accounts.ts';
import { generateFleet } from '../sim/fleet.ts';
import { type Sim, startSim } from '../sim/server.ts';
import type { RdsService } from '../sim/services/rds.ts';
import { project } from './wire-support.ts';

const REGION = 'us-east-1';
const NOW = new Date('2026-03-15T12:00:00.000Z');

type Operation =
  | 'DescribeDBInstances'
  | 'DescribeDBClusters'
  | 'DescribeDBInstanceAutomatedBackups'
  | 'DescribeDBSnapshots'
  | 'DescribeDBClusterSnapshots'
  | 'DescribeGlobalClusters';

function command(operation: Operation, input: Record<string, unknown>) {
  switch (operation) {
    case 'DescribeDBInstances':
      return new DescribeDBInstancesCommand(input);
    case 'DescribeDBClusters':
      return new DescribeDBClustersCommand(input);
    case 'DescribeDBInstanceAutomatedBackups':
      return new DescribeDBInstanceAutomatedBackupsCommand(input);
    case 'DescribeDBSnapshots':
      return new DescribeDBSnapshotsCommand(input);
    case 'DescribeDBClusterSnapshots':
      return new DescribeDBClusterSnapshotsCommand(input);
    case 'DescribeGlobalClusters':
      return new DescribeGlobalClustersCommand(input);
  }
}

/** One call decoded both ways: [SDK output, lean output] (or the errors they threw). */
async function bothWays(
  client: RDSClient,
  operation: Operation,
  input: Record<string, unknown>,
): Promise<[unknown, unknown]> {
  const settle = (promise: Promise<unknown>) =>
    promise.then(
      (output) => ({ output }),
      (error: unknown) => ({ error }),
    );
  const sdk = await settle(client.send(command(operation, input)));
  const lean = command(operation, input);
  lean.middlewareStack.use(
    leanRdsListPlugin(operation, client.config.streamCollector as StreamCollector) as never,
  );
  const leanResult = await settle(client.send(lean));
  return [sdk, leanResult];
}

describe('lean RDS list decoding', () => {
  let sim: Sim;
  let client: RDSClient;
  let empty: RDSClient;

  beforeAll(async () => {
    const scenario = generateFleet({
      instances: 260,
      clusters: 120,
      regions: 1,
      membersPerCluster: 2,
      seed: 11,
    });
    // Manual snapshots over several pages, of both kinds, ours (tagged) and others'.
    const existing = Array.from({ length: 240 }, (_, i) => ({
      id: `snap-${String(i).padStart(3, '0')}`,
      kind: i % 2 === 0 ? ('instance' as const) : ('cluster' as const),
      target: `db-${i}`,
      region: REGION,
      createdAt: `-${i + 1}h`,
      tags:
        i % 3 === 0 ? { purpose: 'certctl-pre-maintenance', 'expires-at': '2030-01-01T00:00:00.000Z' } : {},
    }));
    const rdsSection = (scenario.services?.rds ?? {}) as Record<string, unknown>;
    // Global databases over several DescribeGlobalClusters pages, each with a member here.
    const globals = Array.from({ length: 110 }, (_, i) => ({
      id: `fleet-global-${String(i).padStart(3, '0')}`,
      region: REGION,
      globalClusterIdentifier: `fleet-global-${String(i).padStart(3, '0')}`,
      members: [{ id: `fleet-global-${String(i).padStart(3, '0')}-1`, writer: true }],
    }));
    const clusters = [...((rdsSection.clusters as unknown[] | undefined) ?? []), ...globals];
    scenario.services = { ...scenario.services, rds: { ...rdsSection, clusters, snapshots: { existing } } };
    // The Region of a global database primary (global-aurora-3 below).
    scenario.regions = [...scenario.regions, { name: 'eu-central-1', optStatus: 'ENABLED_BY_DEFAULT' }];
    sim = await startSim({ scenario, clock: () => NOW });
    // Tags with characters XML must escape, to prove the entity decoding.
    const rds = sim.service<RdsService>('rds');
    const instance = rds.store.instances(DEFAULT_ACCOUNT_ID, REGION)[0];
    if (!instance) throw new Error('the fleet has no instance');
    rds.store.putInstance({
      id: 'escaped-tags-db',
      region: REGION,
      tags: { 'certctl:backup-guard': 'enabled', note: 'a < b & "c" > \'d\' — ü' },
    });
    // Backups to be turned off at the next maintenance window (PendingModifiedValues).
    rds.store.putInstance({
      id: 'pending-off-db',
      region: REGION,
      backupRetentionPeriod: 30,
      pendingBackupRetentionPeriod: 0,
      tags: { 'certctl:backup-guard': 'enabled' },
    });
    // A cluster with a cross-region replica in a global database, and a named replica of an instance.
    rds.store.putCluster({
      id: 'global-aurora',
      region: REGION,
      readReplicaIdentifiers: [`arn:aws:rds:eu-west-1:${DEFAULT_ACCOUNT_ID}:cluster:global-aurora-eu`],
      globalClusterIdentifier: 'certctl-global',
      members: [{ id: 'global-aurora-1', writer: true }],
      tags: { 'certctl:backup-guard': 'enabled' },
    });
    // A global database secondary (its primary named by ReplicationSourceIdentifier), a global
    // member without a writer, and a cluster whose answer leaves its restorable times out.
    rds.store.putCluster({
      id: 'global-aurora-secondary',
      region: REGION,
      globalClusterIdentifier: 'certctl-global-2',
      replicationSourceIdentifier: `arn:aws:rds:eu-central-1:${DEFAULT_ACCOUNT_ID}:cluster:global-aurora-2`,
      members: [{ id: 'global-aurora-secondary-1' }],
    });
    // A headless secondary (DescribeGlobalClusters names its writer in eu-central-1), and a
    // primary whose instances were all deleted: DescribeDBClusters tells neither role.
    rds.store.putCluster({
      id: 'global-aurora-headless',
      region: REGION,
      globalClusterIdentifier: 'certctl-global-3',
      globalWriter: false,
    });
    rds.store.putCluster({
      id: 'global-aurora-3',
      region: 'eu-central-1',
      globalClusterIdentifier: 'certctl-global-3',
      members: [{ id: 'global-aurora-3-1', writer: true }],
    });
    rds.store.putCluster({
      id: 'global-aurora-no-instance',
      region: REGION,
      globalClusterIdentifier: 'certctl-global-4',
    });
    // An RDS for PostgreSQL instance being migrated to Aurora through an Aurora read replica
    // cluster, which the instance lists in ReadReplicaDBClusterIdentifiers.
    rds.store.putInstance({
      id: 'migrating-db',
      region: REGION,
      tags: { 'certctl:backup-guard': 'enabled' },
    });
    rds.store.putCluster({
      id: 'migrating-db-aurora',
      region: REGION,
      replicationSourceIdentifier: `arn:aws:rds:${REGION}:${DEFAULT_ACCOUNT_ID}:db:migrating-db`,
    });
    // Databases created 10 days ago whose answers claim 35 days of restore points (pitr.window).
    rds.store.putInstance({
      id: 'young-db-old-window',
      region: REGION,
      createdAt: '-10d',
      backupRetentionPeriod: 35,
      earliestRestorableTime: '-35d',
    });
    rds.store.putCluster({
      id: 'young-aurora-old-window',
      region: REGION,
      createdAt: '-10d',
      backupRetentionPeriod: 35,
      earliestRestorableTime: '-35d',
    });
    // An Aurora Serverless v1 cluster, which cannot retain its automated backups when deleted.
    rds.store.putCluster({ id: 'serverless-v1-aurora', region: REGION, engineMode: 'serverless' });
    rds.store.putCluster({
      id: 'creating-aurora',
      region: REGION,
      status: 'creating',
      earliestRestorableTime: null,
      latestRestorableTime: null,
    });
    const config = { endpoint: sim.endpoint, credentials: simCredentials(), maxAttempts: 1 };
    client = new RDSClient({ ...config, region: REGION });
    empty = new RDSClient({ ...config, region: 'eu-west-1' });
  });

  afterAll(async () => {
    client.destroy();
    empty.destroy();
    await sim.close();
  });

  const listOperations = Object.keys(LEAN_RESULTS).filter((name) =>
    name.startsWith('Describe'),
  ) as Operation[];

  for (const operation of listOperations) {
    it(`decodes every ${operation} page as the SDK does when the fleet spans several pages`, async () => {
      // Prepare
      const shape = LEAN_RESULTS[operation] as Shape;
      let marker: string | undefined;
      let pages = 0;
      do {
        // Act
        const [sdk, lean] = await bothWays(client, operation, { MaxRecords: 100, Marker: marker });
        // Assess
        const sdkOutput = (sdk as { output: Record<string, unknown> }).output;
        const leanOutput = (lean as { output: Record<string, unknown> }).output;
        expect(leanOutput).toBeDefined();
        const { $metadata: sdkMeta, ...sdkRest } = sdkOutput;
        const { $metadata: leanMeta, ...leanRest } = leanOutput;
        expect(leanRest).toEqual(project(sdkRest, shape));
        expect((leanMeta as { httpStatusCode: number }).httpStatusCode).toBe(200);
        expect(Object.keys(leanMeta as object).sort()).toEqual(Object.keys(sdkMeta as object).sort());
        marker = sdkOutput.Marker as string | undefined;
        pages += 1;
      } while (marker);
      expect(pages).toBeGreaterThan(1);
    });

    it(`answers ${operation} with the same empty list as the SDK when the region has nothing`, async () => {
      // Act
      const [sdk, lean] = await bothWays(empty, operation, {});
      // Assess
      const { $metadata: _s, ...sdkRest } = (sdk as { output: Record<string, unknown> }).output;
      const { $metadata: _l, ...leanRest } = (lean as { output: Record<string, unknown> }).output;
      expect(leanRest).toEqual(project(sdkRest, LEAN_RESULTS[operation] as Shape));
      expect(Object.values(leanRest)).toEqual([[]]);
    });

    it(`throws the SDK's own error for ${operation} when the service answers with an error`, async () => {
      // Act: MaxRecords outside 20..100 is an InvalidParameterValue error answer.
      const [sdk, lean] = await bothWays(client, operation, { MaxRecords: 5 });
      // Assess
      const sdkError = (sdk as { error: Error & { $metadata: unknown } }).error;
      const leanError = (lean as { error: Error & { $metadata: unknown } }).error;
      expect(sdkError.name).toBe('InvalidParameterValue');
      expect(leanError.name).toBe(sdkError.name);
      expect(leanError.message).toBe(sdkError.message);
      expect(leanError.constructor).toBe(sdkError.constructor);
      expect((leanError.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    });
  }

  it('throws the SDK not-found error when DescribeDBInstances names no instance', async () => {
    // Act
    const [sdk, lean] = await bothWays(client, 'DescribeDBInstances', { DBInstanceIdentifier: 'no-such-db' });
    // Assess
    expect((lean as { error: Error }).error.name).toBe('DBInstanceNotFoundFault');
    expect((lean as { error: Error }).error.message).toBe((sdk as { error: Error }).error.message);
  });

  it('produces the same facts both ways when a whole region is collected', async () => {
    // Prepare
    const policy = parsePolicy({ targets: { all: true }, aws: { regions: 'all' } });
    const scope = { account: DEFAULT_ACCOUNT_ID, region: REGION };
    // Act
    const sdkFacts = await collectRdsPitrFacts(client, scope, policy, { leanDecoding: false });
    const leanFacts = await collectRdsPitrFacts(client, scope, policy);
    // Assess
    expect(leanFacts.length).toBeGreaterThan(200);
    expect(leanFacts).toEqual(sdkFacts);
    const byId = (id: string) => leanFacts.find((fact) => fact.resource.id === id);
    expect(byId('global-aurora-secondary')?.aurora?.globalSecondary?.primaryId).toBe('global-aurora-2');
    // No instance and no ReplicationSourceIdentifier: DescribeGlobalClusters' IsWriter tells the role.
    expect(byId('global-aurora-headless')?.aurora?.globalSecondary).toMatchObject({
      primaryId: 'global-aurora-3',
      primaryRegion: 'eu-central-1',
    });
    expect(byId('global-aurora-headless')?.aurora?.globalRoleUnknown).toBeUndefined();
    expect(byId('global-aurora-no-instance')?.aurora?.globalSecondary).toBeUndefined();
    expect(byId('global-aurora-no-instance')?.aurora?.globalRoleUnknown).toBeUndefined();
    expect(byId('global-aurora')?.aurora?.globalSecondary).toBeUndefined();
    expect(byId('creating-aurora')?.restoreWindow).toEqual({
      known: true,
      earliest: undefined,
      latest: undefined,
      source: 'DescribeDBClusters (Status creating, first backup not taken yet)',
    });
    expect(byId('pending-off-db')).toMatchObject({ retentionDays: 30, pendingRetentionDays: 0 });
    expect(byId('serverless-v1-aurora')?.engineMode).toBe('serverless');
    expect(byId('global-aurora')?.engineMode).toBe('provisioned');
    // InstanceCreateTime and ClusterCreateTime are read both ways, and a window reaching back before
    // them proves nothing.
    const tenDaysAgo = new Date(NOW.getTime() - 10 * 86_400_000);
    const context = { policy, now: NOW };
    for (const id of ['young-db-old-window', 'young-aurora-old-window']) {
      const fact = byId(id);
      expect(fact?.createdAt).toEqual(tenDaysAgo);
      expect(fact && pitrWindowCheck.evaluate(fact, context)?.status).toBe('NOT_AVAILABLE');
    }
    expect(leanFacts.filter((fact) => fact.pendingRetentionDays !== undefined)).toHaveLength(1);
  });

  /** A client of the simulator counting its requests by Action, sent by the SDK or on the lean path. */
  function counted(): { client: RDSClient; sent: Map<string, { sdk: number; lean: number }> } {
    const counting = new RDSClient({
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
      region: REGION,
    });
    const sent = new Map<string, { sdk: number; lean: number }>();
    const handler = counting.config.requestHandler as unknown as {
      handle(
        request: { headers: Record<string, string>; body?: unknown },
        options?: unknown,
      ): Promise<unknown>;
    };
    const handle = handler.handle.bind(handler);
    handler.handle = (request, options) => {
      const action = new URLSearchParams(String(request.body ?? '')).get('Action') ?? '';
      const count = sent.get(action) ?? { sdk: 0, lean: 0 };
      // The SDK's pipeline adds its invocation id; the lean path sends none.
      if (request.headers['amz-sdk-invocation-id']) count.sdk += 1;
      else count.lean += 1;
      sent.set(action, count);
      return handle(request, options);
    };
    return { client: counting, sent };
  }

  const PAGINATORS = {
    DescribeDBInstances: {
      Command: DescribeDBInstancesCommand,
      paginate: paginateDescribeDBInstances,
      input: { Filters: [{ Name: 'engine', Values: ['postgres', 'aurora-postgresql'] }] },
    },
    DescribeDBClusters: {
      Command: DescribeDBClustersCommand,
      paginate: paginateDescribeDBClusters,
      input: { Filters: [{ Name: 'engine', Values: ['aurora-postgresql', 'postgres'] }] },
    },
    DescribeDBInstanceAutomatedBackups: {
      Command: DescribeDBInstanceAutomatedBackupsCommand,
      paginate: paginateDescribeDBInstanceAutomatedBackups,
      input: { Filters: [{ Name: 'status', Values: ['active', 'creating'] }] },
    },
  } as const;

  for (const [operation, { Command, paginate, input }] of Object.entries(PAGINATORS)) {
    it(`gives every ${operation} page the SDK's paginator gives, sent on the lean request path`, async () => {
      // Prepare
      const { client: lean, sent } = counted();
      const shape = LEAN_RESULTS[operation] as Shape;
      const sdkPages: unknown[] = [];
      const leanPages: unknown[] = [];
      // Act
      const sdkPaginate = paginate as (config: object, input: object) => AsyncIterable<unknown>;
      for await (const page of sdkPaginate({ client, pageSize: 100, stopOnSameToken: true }, { ...input }))
        sdkPages.push(page);
      for await (const page of leanListPages(lean, Command as never, operation, { ...input }, 100))
        leanPages.push(page);
      // Assess
      expect(sdkPages.length).toBeGreaterThan(1);
      expect(leanPages.map((page) => ({ ...(page as object), $metadata: undefined }))).toEqual(
        sdkPages.map((page) => ({ ...project(page, shape), $metadata: undefined })),
      );
      expect(sent.get(operation)).toEqual({ sdk: 0, lean: sdkPages.length });
      lean.destroy();
    });
  }

  it('sends the listings of a PITR collection on the lean request path, with the facts the SDK decoding gives', async () => {
    // Prepare
    const policy = parsePolicy({ targets: { all: true }, aws: { regions: 'all' } });
    const scope = { account: DEFAULT_ACCOUNT_ID, region: REGION };
    const { client: lean, sent } = counted();
    // Act
    const sdkFacts = await collectRdsPitrFacts(client, scope, policy, { leanDecoding: false });
    const leanFacts = await collectRdsPitrFacts(lean, scope, policy);
    // Assess
    expect(leanFacts).toEqual(sdkFacts);
    for (const operation of Object.keys(PAGINATORS)) {
      expect(sent.get(operation)?.sdk).toBe(0);
      expect(sent.get(operation)?.lean).toBeGreaterThan(0);
    }
    lean.destroy();
  });

  for (const operation of ['DescribeDBInstances', 'DescribeDBClusters'] as const) {
    it(`decodes no ${operation} member's TagList when asked without tags, and every other member as the SDK does`, async () => {
      // Prepare
      const { Command, paginate, input } = PAGINATORS[operation];
      const { client: lean } = counted();
      const untagged = leanResultShape(operation, false);
      const sdkPages: Record<string, unknown>[] = [];
      const leanPages: unknown[] = [];
      // Act
      const sdkPaginate = paginate as (
        config: object,
        input: object,
      ) => AsyncIterable<Record<string, unknown>>;
      for await (const page of sdkPaginate({ client, pageSize: 100, stopOnSameToken: true }, { ...input }))
        sdkPages.push(page);
      for await (const page of leanListPages(lean, Command as never, operation, { ...input }, 100, false))
        leanPages.push(page);
      // Assess: the SDK sent tags, the untagged pages carry none and are otherwise the same.
      const members = (page: Record<string, unknown>) =>
        (page[operation === 'DescribeDBInstances' ? 'DBInstances' : 'DBClusters'] ?? []) as {
          TagList?: unknown[];
        }[];
      expect(
        sdkPages.flatMap(members).filter((member) => (member.TagList?.length ?? 0) > 0).length,
      ).toBeGreaterThan(10);
      expect(
        leanPages
          .flatMap((page) => members(page as Record<string, unknown>))
          .some((member) => 'TagList' in member),
      ).toBe(false);
      expect(leanPages.map((page) => ({ ...(page as object), $metadata: undefined }))).toEqual(
        sdkPages.map((page) => ({ ...project(page, untagged), $metadata: undefined })),
      );
      lean.destroy();
    });
  }

  it('selects by tag on the lean request path as the SDK decoding does, when the policy names a target tag', async () => {
    // Prepare
    // The default policy selects the databases tagged certctl:backup-guard=enabled.
    const policy = parsePolicy({ aws: { regions: 'all' } });
    const scope = { account: DEFAULT_ACCOUNT_ID, region: REGION };
    const all = parsePolicy({ targets: { all: true }, aws: { regions: 'all' } });
    // Act
    const sdkFacts = await collectRdsPitrFacts(client, scope, policy, { leanDecoding: false });
    const leanFacts = await collectRdsPitrFacts(client, scope, policy);
    const everyFact = await collectRdsPitrFacts(client, scope, all);
    // Assess: the tag selects some databases and not all; both decodings select the same ones.
    expect(leanFacts.length).toBeGreaterThan(20);
    expect(leanFacts.length).toBeLessThan(everyFact.length);
    expect(leanFacts).toEqual(sdkFacts);
  });

  it("throws the SDK's own error for a lean page the service answers with an error, and sends an input the lean path does not write through the SDK", async () => {
    // Prepare
    const { client: lean, sent } = counted();
    const settle = async (pages: AsyncIterable<unknown>) => {
      try {
        for await (const _ of pages);
        return undefined;
      } catch (error) {
        return error as Error & { $metadata?: { httpStatusCode?: number } };
      }
    };
    // Act: MaxRecords outside 20..100 is an InvalidParameterValue error answer; DBInstanceIdentifier
    // is a member the lean path does not write.
    const invalid = await settle(
      leanListPages(lean, DescribeDBInstancesCommand as never, 'DescribeDBInstances', { MaxRecords: 5 }, 100),
    );
    const sdkInvalid = await settle(paginateDescribeDBInstances({ client, pageSize: 5 }, {}));
    const missing = await settle(
      leanListPages(
        lean,
        DescribeDBInstancesCommand as never,
        'DescribeDBInstances',
        { DBInstanceIdentifier: 'no-such-db' } as never,
        100,
      ),
    );
    // Assess
    expect(invalid?.name).toBe('InvalidParameterValue');
    expect(invalid?.message).toBe(sdkInvalid?.message);
    expect(invalid?.constructor).toBe(sdkInvalid?.constructor);
    expect(invalid?.$metadata?.httpStatusCode).toBe(400);
    expect(missing?.name).toBe('DBInstanceNotFoundFault');
    // The error answer was the lean attempt's, replayed into the SDK (maxAttempts 1: no second
    // request); the look-up by identifier went through the SDK.
    expect(sent.get('DescribeDBInstances')).toEqual({ sdk: 1, lean: 1 });
    lean.destroy();
  });

  it('rejects a body that is not the operation answer when a proxy sends something else', () => {
    // Act + Assess
    expect(() => decodeRdsListResult('DescribeDBInstances', '<html>oops</html>', {})).toThrow(XmlWireError);
    expect(() =>
      decodeRdsListResult(
        'DescribeDBInstances',
        '<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances><DBInstance><BackupRetentionPeriod>seven</BackupRetentionPeriod>',
        LEAN_RESULTS.DescribeDBInstances as Shape,
      ),
    ).toThrow(XmlWireError);
  });
});

const SOURCES = ['sdk', 'lean', 'again-sdk', 'again-lean'] as const;

describe('lean RDS create decoding', () => {
  let sim: Sim;
  let creator: RDSClient;

  beforeAll(async () => {
    sim = await startSim({
      scenario: {
        regions: [{ name: REGION }],
        services: {
          rds: {
            // One source per call: a source is backing-up while its snapshot is being created.
            // Resource ids named after the source, so the names that differ by construction align.
            instances: SOURCES.map((way) => ({
              id: `${way}-db`,
              region: REGION,
              dbiResourceId: `db-${way}-x`,
            })),
            clusters: SOURCES.map((way) => ({
              id: `${way}-aurora`,
              region: REGION,
              dbClusterResourceId: `cluster-${way}-x`,
              members: [{ id: `${way}-aurora-1`, writer: true }],
            })),
          },
        },
      },
      clock: () => NOW,
    });
    creator = new RDSClient({
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
      region: REGION,
    });
  });

  afterAll(async () => {
    creator.destroy();
    await sim.close();
  });

  it.each([
    ['CreateDBSnapshot', 'DBSnapshot'],
    ['CreateDBClusterSnapshot', 'DBClusterSnapshot'],
  ] as const)(
    'decodes the %s answer as the SDK does, and its error answer too',
    async (operation, member) => {
      // Prepare: a create command per way, with tags XML must escape.
      const tags = [
        { Key: 'purpose', Value: 'certctl-pre-maintenance' },
        { Key: 'reason', Value: 'a < b & "c"' },
      ];
      const create = (source: (typeof SOURCES)[number], snapshotId: string) =>
        operation === 'CreateDBSnapshot'
          ? new CreateDBSnapshotCommand({
              DBInstanceIdentifier: `${source}-db`,
              DBSnapshotIdentifier: snapshotId,
              Tags: tags,
            })
          : new CreateDBClusterSnapshotCommand({
              DBClusterIdentifier: `${source}-aurora`,
              DBClusterSnapshotIdentifier: snapshotId,
              Tags: tags,
            });
      const lean = (source: (typeof SOURCES)[number], snapshotId: string) => {
        const command = create(source, snapshotId);
        command.middlewareStack.use(
          leanRdsListPlugin(operation, creator.config.streamCollector as StreamCollector) as never,
        );
        return command;
      };

      // Act
      const name = operation.toLowerCase();
      const sdk = (await creator.send(create('sdk', `sdk-${name}`) as never)) as unknown as Record<
        string,
        unknown
      >;
      const decoded = (await creator.send(lean('lean', `lean-${name}`) as never)) as unknown as Record<
        string,
        unknown
      >;
      // The same snapshot name again, from sources that are available: an error answer.
      const repeated = await creator.send(lean('again-lean', `lean-${name}`) as never).catch((e) => e);
      const repeatedBySdk = await creator.send(create('again-sdk', `lean-${name}`) as never).catch((e) => e);

      // Assess: the same members, once the names that differ by construction are aligned.
      const shape = LEAN_RESULTS[operation] as Shape;
      const { $metadata: _s, ...sdkRest } = sdk;
      const { $metadata: _l, ...leanRest } = decoded;
      const align = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll(/\b(sdk|lean)-/g, 'x-'));
      expect(align(leanRest)).toEqual(align(project(sdkRest, shape)));
      expect((leanRest[member] as { TagList: unknown }).TagList).toEqual(tags);
      const resourceId = member === 'DBSnapshot' ? 'DbiResourceId' : 'DbClusterResourceId';
      expect((leanRest[member] as Record<string, unknown>)[resourceId]).toMatch(/^(db|cluster)-lean-x$/);
      expect((repeated as Error).name).toMatch(/AlreadyExists/);
      expect((repeated as Error).name).toBe((repeatedBySdk as Error).name);
      expect((repeated as Error).message).toBe((repeatedBySdk as Error).message);
    },
  );
});

// Types the projections cover (compile-time: the lean shapes name real SDK members).
type _Covered = [
  keyof DBInstance,
  keyof DBCluster,
  keyof DBInstanceAutomatedBackup,
  keyof DBSnapshot,
  keyof DBClusterSnapshot,
];

describe('RDS list answers without their list element', () => {
  const LISTS = {
    DescribeDBInstances: 'DBInstances',
    DescribeDBClusters: 'DBClusters',
    DescribeDBInstanceAutomatedBackups: 'DBInstanceAutomatedBackups',
  } as const;
  type ListOperation = keyof typeof LISTS;

  /**
   * A client wrapping the SDK's `send` in one of its own (as a tracing wrapper does), which the lean
   * request path leaves to the SDK's pipeline (lean-wire.ts `discover`).
   */
  class WrappedRDSClient extends RDSClient {}
  Object.defineProperty(WrappedRDSClient.prototype, 'send', {
    value(this: RDSClient, ...args: unknown[]) {
      return (RDSClient.prototype.send as (...all: unknown[]) => unknown).apply(this, args);
    },
  });

  /**
   * A client whose every answer is a 200 built by `result` from the operation's name; `status`
   * answers the n-th request (from 1) with another status first, when it names one.
   */
  function answering(
    result: (operation: ListOperation) => string,
    options: { readonly wrapped?: boolean; readonly status?: (request: number) => number } = {},
  ): RDSClient {
    let requests = 0;
    const Client = options.wrapped ? WrappedRDSClient : RDSClient;
    return new Client({
      region: REGION,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxAttempts: options.status ? 2 : 1,
      requestHandler: {
        handle: async (request: { body?: unknown }) => {
          requests += 1;
          const statusCode = options.status?.(requests) ?? 200;
          if (statusCode !== 200) {
            return {
              response: {
                statusCode,
                headers: { 'content-type': 'text/xml' },
                body: Readable.from([
                  Buffer.from(
                    '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>try again</Message></Error><RequestId>r-0</RequestId></ErrorResponse>',
                    'utf8',
                  ),
                ]),
              },
            };
          }
          const action = new URLSearchParams(String(request.body ?? '')).get('Action') as ListOperation;
          const body =
            `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${action}Result>${result(action)}</${action}Result>` +
            `<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></${action}Response>`;
          return {
            response: {
              statusCode: 200,
              headers: { 'content-type': 'text/xml' },
              body: Readable.from([Buffer.from(body, 'utf8')]),
            },
          };
        },
      } as never,
    });
  }

  const policy = parsePolicy({ targets: { all: true }, aws: { regions: 'all' } });
  const scope = { account: DEFAULT_ACCOUNT_ID, region: REGION };

  for (const leanDecoding of [true, false]) {
    const way = leanDecoding ? 'lean' : 'SDK';

    it(`reads <DBInstances/> and the other empty elements as an empty region (${way} decoding)`, async () => {
      // Prepare
      const client = answering((operation) => `<${LISTS[operation]}/>`);
      // Act
      const facts = await collectRdsPitrFacts(client, scope, policy, { leanDecoding });
      // Assess
      expect(facts).toEqual([]);
      client.destroy();
    });

    for (const operation of ['DescribeDBInstances', 'DescribeDBClusters'] as const) {
      it(`fails the scope when a ${operation} answer has no <${LISTS[operation]}> element (${way} decoding)`, async () => {
        // Prepare: the other lists answer empty, this one leaves its element out.
        const client = answering((answered) => (answered === operation ? '' : `<${LISTS[answered]}/>`));
        // Act
        const collecting = collectRdsPitrFacts(client, scope, policy, { leanDecoding });
        // Assess
        await expect(collecting).rejects.toBeInstanceOf(CloudApiError);
        await expect(collecting).rejects.toMatchObject({
          code: 'IncompleteAnswer',
          message: expect.stringContaining(
            `RDS ${operation} failed for account ${DEFAULT_ACCOUNT_ID} in ${REGION}: answer without <${LISTS[operation]}>`,
          ),
        });
        client.destroy();
      });
    }

    if (leanDecoding) {
      it('fails the scope when a list holds elements that are not its items (lean decoding)', async () => {
        // Prepare: <DBInstances><Foo>…</Foo></DBInstances> holds no DBInstance the answer can be
        // read as; taken for an empty list, an empty Region would resolve its findings.
        const client = answering((answered) =>
          answered === 'DescribeDBInstances'
            ? '<DBInstances><Foo><DBInstanceIdentifier>certctl</DBInstanceIdentifier></Foo></DBInstances>'
            : `<${LISTS[answered]}/>`,
        );
        // Act
        const collecting = collectRdsPitrFacts(client, scope, policy, { leanDecoding });
        // Assess
        await expect(collecting).rejects.toBeInstanceOf(CloudApiError);
        await expect(collecting).rejects.toMatchObject({
          message: expect.stringContaining('<Foo> where <DBInstance> was expected'),
        });
        client.destroy();
      });

      it.each([
        ['through a client with its own `send`', { wrapped: true }],
        [
          'on a page the SDK retried after a 500',
          { status: (request: number) => (request === 1 ? 500 : 200) },
        ],
      ] as const)(
        'fails the scope when a list holds elements that are not its items, read %s (SDK pipeline)',
        async (_, options) => {
          // Prepare: the page goes through the SDK's pipeline, whose deserializer drops the children
          // that are not items: read as an empty list, the Region would look empty and resolve.
          const client = answering(
            (answered) =>
              answered === 'DescribeDBInstances'
                ? '<DBInstances><Foo><DBInstanceIdentifier>certctl</DBInstanceIdentifier></Foo></DBInstances>'
                : `<${LISTS[answered]}/>`,
            options,
          );
          // Act
          const collecting = collectRdsPitrFacts(client, scope, policy, { leanDecoding });
          // Assess
          await expect(collecting).rejects.toBeInstanceOf(CloudApiError);
          await expect(collecting).rejects.toMatchObject({
            message: expect.stringContaining('<Foo> where <DBInstance> was expected'),
          });
          client.destroy();
        },
      );

      it('still reads the items of a list through a client with its own `send` (SDK pipeline)', async () => {
        // Prepare
        const client = answering(
          (answered) =>
            answered === 'DescribeDBInstances'
              ? '<DBInstances><DBInstance><DBInstanceIdentifier>certctl-db</DBInstanceIdentifier><DbiResourceId>db-CERTCTL</DbiResourceId><Engine>postgres</Engine><BackupRetentionPeriod>0</BackupRetentionPeriod></DBInstance></DBInstances>'
              : `<${LISTS[answered]}/>`,
          { wrapped: true },
        );
        // Act
        const facts = await collectRdsPitrFacts(client, scope, policy, { leanDecoding });
        // Assess
        expect(facts.map((fact) => [fact.resource.id, fact.retentionDays])).toEqual([['certctl-db', 0]]);
        client.destroy();
      });

      it('reads white space and comments between list items as nothing (lean decoding)', async () => {
        // Prepare
        const client = answering(
          (answered) => `<${LISTS[answered]}>\n  <!-- none -->\n</${LISTS[answered]}>`,
        );
        // Act
        const facts = await collectRdsPitrFacts(client, scope, policy, { leanDecoding });
        // Assess
        expect(facts).toEqual([]);
        client.destroy();
      });
    }

    it(`leaves every restore window unknown when a DescribeDBInstanceAutomatedBackups answer has no <DBInstanceAutomatedBackups> element (${way} decoding)`, async () => {
      // Prepare: one instance with backups on; the backup listing leaves its element out.
      const client = answering((operation) =>
        operation === 'DescribeDBInstances'
          ? '<DBInstances><DBInstance><DBInstanceIdentifier>certctl-db</DBInstanceIdentifier><DbiResourceId>db-CERTCTL</DbiResourceId><Engine>postgres</Engine><BackupRetentionPeriod>30</BackupRetentionPeriod></DBInstance></DBInstances>'
          : operation === 'DescribeDBClusters'
            ? '<DBClusters/>'
            : '',
      );
      // Act
      const facts = await collectRdsPitrFacts(client, scope, policy, { leanDecoding });
      // Assess
      expect(facts).toHaveLength(1);
      expect(facts[0]?.restoreWindow).toMatchObject({
        known: false,
        reason: expect.stringContaining(
          `DescribeDBInstanceAutomatedBackups failed for account ${DEFAULT_ACCOUNT_ID} in ${REGION}`,
        ),
      });
      expect(facts[0]?.restoreWindow).toMatchObject({
        reason: expect.stringContaining('answer without <DBInstanceAutomatedBackups>'),
      });
      client.destroy();
    });
  }
  it.each(['\n7\n', ' 7 ', '\t7'])(
    'reads <BackupRetentionPeriod>%j</BackupRetentionPeriod> as 7, as the SDK decoding does',
    async (retention) => {
      // Prepare: the same answer read by the lean decoder and by the SDK's own deserializer.
      const client = answering((operation) =>
        operation === 'DescribeDBInstances'
          ? `<DBInstances><DBInstance><DBInstanceIdentifier>certctl-db</DBInstanceIdentifier><DbiResourceId>db-CERTCTL</DbiResourceId><Engine>postgres</Engine><BackupRetentionPeriod>${retention}</BackupRetentionPeriod></DBInstance></DBInstances>`
          : `<${LISTS[operation]}/>`,
      );
      // Act
      const [lean] = await collectRdsPitrFacts(client, scope, policy);
      const [sdk] = await collectRdsPitrFacts(client, scope, policy, { leanDecoding: false });
      // Assess
      expect(sdk?.retentionDays).toBe(7);
      expect(lean?.retentionDays).toBe(7);
      client.destroy();
    },
  );

  it.each([
    ['1', false],
    ['0', false],
    ['TRUE', true],
  ] as const)(
    'leaves <DeletionProtection>%s</DeletionProtection> out as not sent, where the SDK reads %s: pitr.deletion-protection NOT_AVAILABLE',
    async (text, sdkReads) => {
      // Prepare: the query protocol sends `true` or `false`; the SDK reads any other text as false
      // (`1` included) and `TRUE` as true, a value the answer did not send.
      const client = answering((operation) =>
        operation === 'DescribeDBInstances'
          ? `<DBInstances><DBInstance><DBInstanceIdentifier>certctl-db</DBInstanceIdentifier><DbiResourceId>db-CERTCTL</DbiResourceId><Engine>postgres</Engine><BackupRetentionPeriod>7</BackupRetentionPeriod><DeletionProtection>${text}</DeletionProtection></DBInstance></DBInstances>`
          : `<${LISTS[operation]}/>`,
      );
      // Act
      const [lean, ...others] = await collectRdsPitrFacts(client, scope, policy);
      const [sdk] = await collectRdsPitrFacts(client, scope, policy, { leanDecoding: false });
      const outcome = lean && pitrDeletionProtectionCheck.evaluate(lean, { policy, now: NOW });
      // Assess: the item is kept (not a page error), its flag unknown.
      expect(others).toEqual([]);
      expect(sdk?.deletionProtection).toBe(sdkReads);
      expect(lean?.deletionProtection).toBeUndefined();
      expect(lean?.retentionDays).toBe(7);
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      client.destroy();
    },
  );

  /**
   * One page of each listing written the ways XML allows and the lean reading must read as the SDK
   * does: character and entity references, CDATA sections and comments inside values, empty elements
   * (`<X/>` and `<X></X>`), a default namespace redeclared on an element and a prefixed one, and
   * members the shapes skip that hold elements named like a member they read (`Status` in a cluster's
   * option group memberships, `BackupRetentionPeriod` in PendingModifiedValues, the source's own
   * `DBInstanceAutomatedBackupsArn` inside an automated backup's replications) ahead of the member.
   */
  const TRICKY = {
    DescribeDBInstances: `<DBInstances>
  <DBInstance>
    <DBInstanceIdentifier>certctl-db</DBInstanceIdentifier>
    <Endpoint><Address>certctl-db.x.rds.amazonaws.com</Address><Port>5432</Port></Endpoint>
    <DBSubnetGroup><DBSubnetGroupName>g</DBSubnetGroupName><Subnets><Subnet><SubnetStatus>Active</SubnetStatus></Subnet></Subnets></DBSubnetGroup>
    <PendingModifiedValues><BackupRetentionPeriod>35</BackupRetentionPeriod></PendingModifiedValues>
    <StatusInfos><DBInstanceStatusInfo><Status>replicating</Status><StatusType>read replication</StatusType></DBInstanceStatusInfo></StatusInfos>
    <DBInstanceStatus xmlns="http://rds.amazonaws.com/doc/2014-10-31/">avail&#97;b&#x6C;e</DBInstanceStatus>
    <Engine><![CDATA[postgres]]></Engine>
    <DBInstanceArn>arn:aws:rds:${REGION}:${DEFAULT_ACCOUNT_ID}:db:certctl-db</DBInstanceArn>
    <DbiResourceId>db-CERTCTL</DbiResourceId>
    <rds:Extra xmlns:rds="urn:x"><rds:BackupRetentionPeriod>0</rds:BackupRetentionPeriod></rds:Extra>
    <rds:DeletionProtection xmlns:rds="urn:x">false</rds:DeletionProtection>
    <BackupRetentionPeriod><![CDATA[3]]><!-- one more -->1</BackupRetentionPeriod>
    <PreferredBackupWindow>03:00-03:30</PreferredBackupWindow>
    <LatestRestorableTime>2026-03-15T11:58:00Z</LatestRestorableTime>
    <InstanceCreateTime>2025-01-01T00:00:00.000Z</InstanceCreateTime>
    <DeletionProtection>true</DeletionProtection>
    <ReadReplicaDBInstanceIdentifiers/>
    <ReadReplicaDBClusterIdentifiers></ReadReplicaDBClusterIdentifiers>
    <DBClusterIdentifier/>
    <DBInstanceAutomatedBackupsReplications/>
    <TagList><Tag><Key>certctl:backup-guard</Key><Value>enabled</Value></Tag><Tag><Key>note</Key><Value><![CDATA[a<b]]> &amp; &#x263A; &lt;c&gt;</Value></Tag></TagList>
  </DBInstance>
</DBInstances>`,
    DescribeDBInstanceAutomatedBackups: `<DBInstanceAutomatedBackups>
  <DBInstanceAutomatedBackup>
    <DBInstanceAutomatedBackupsReplications><DBInstanceAutomatedBackupsReplication><DBInstanceAutomatedBackupsArn>arn:aws:rds:us-west-2:${DEFAULT_ACCOUNT_ID}:auto-backup:ab-other</DBInstanceAutomatedBackupsArn></DBInstanceAutomatedBackupsReplication></DBInstanceAutomatedBackupsReplications>
    <DBInstanceAutomatedBackupsArn>arn:aws:rds:${REGION}:${DEFAULT_ACCOUNT_ID}:auto-backup:ab-1</DBInstanceAutomatedBackupsArn>
    <DbiResourceId>db-CERTCTL</DbiResourceId>
    <Region>${REGION}</Region>
    <Status>act&#105;ve</Status>
    <RestoreWindow><EarliestTime>2026-02-10T03:10:00Z</EarliestTime><LatestTime>2026-03-15T11:58:00Z</LatestTime></RestoreWindow>
    <BackupRetentionPeriod>31</BackupRetentionPeriod>
  </DBInstanceAutomatedBackup>
</DBInstanceAutomatedBackups>`,
    DescribeDBClusters: `<DBClusters>
  <DBCluster>
    <DBClusterOptionGroupMemberships><DBClusterOptionGroup><DBClusterOptionGroupName>o</DBClusterOptionGroupName><Status>in-sync</Status></DBClusterOptionGroup></DBClusterOptionGroupMemberships>
    <VpcSecurityGroups><VpcSecurityGroupMembership><VpcSecurityGroupId>sg-1</VpcSecurityGroupId><Status>active</Status></VpcSecurityGroupMembership></VpcSecurityGroups>
    <Status>available</Status>
    <DBClusterIdentifier>certctl-aurora</DBClusterIdentifier>
    <DBClusterArn>arn:aws:rds:${REGION}:${DEFAULT_ACCOUNT_ID}:cluster:certctl-aurora</DBClusterArn>
    <DbClusterResourceId>cluster-X</DbClusterResourceId>
    <Engine>aurora-postgresql</Engine>
    <EngineMode>provisioned</EngineMode>
    <DBClusterMembers><DBClusterMember><DBInstanceIdentifier>m1</DBInstanceIdentifier><IsClusterWriter>true</IsClusterWriter><DBClusterParameterGroupStatus>in-sync</DBClusterParameterGroupStatus></DBClusterMember></DBClusterMembers>
    <BackupRetentionPeriod xmlns='urn:x'>30</BackupRetentionPeriod>
    <EarliestRestorableTime>2026-02-10T00:00:00Z</EarliestRestorableTime>
    <LatestRestorableTime>2026-03-15T11:59:00Z</LatestRestorableTime>
    <ClusterCreateTime>2025-01-01T00:00:00Z</ClusterCreateTime>
    <DeletionProtection>false</DeletionProtection>
    <ReadReplicaIdentifiers/>
    <TagList><Tag><Key>certctl:backup-guard</Key><Value>en&#97;bled</Value></Tag></TagList>
  </DBCluster>
</DBClusters>`,
  } as const;

  it.each([
    ['every database', { targets: { all: true }, aws: { regions: 'all' } }],
    ['the databases a tag selects', { aws: { regions: 'all' } }],
  ] as const)(
    'reads references, CDATA, comments, empty and namespaced elements, and names a skipped member nests, as the SDK decoding does (%s)',
    async (_, input) => {
      // Prepare
      const tricky = parsePolicy(input);
      const client = answering((operation) => TRICKY[operation]);
      // Act
      const lean = await collectRdsPitrFacts(client, scope, tricky);
      const sdk = await collectRdsPitrFacts(client, scope, tricky, { leanDecoding: false });
      // Assess: the same facts, holding the values the elements themselves send.
      expect(lean).toEqual(sdk);
      expect(
        lean.map((fact) => [
          fact.resource.id,
          fact.status,
          fact.engine,
          fact.retentionDays,
          fact.pendingRetentionDays,
          fact.deletionProtection,
        ]),
      ).toEqual([
        ['certctl-db', 'available', 'postgres', 31, 35, true],
        ['certctl-aurora', 'available', 'aurora-postgresql', 30, undefined, false],
      ]);
      expect(lean[0]?.restoreWindow).toEqual({
        known: true,
        earliest: new Date('2026-02-10T03:10:00Z'),
        latest: new Date('2026-03-15T11:58:00Z'),
        source: 'DescribeDBInstanceAutomatedBackups RestoreWindow',
      });
      expect(lean[0]?.crossRegionBackupTargets).toEqual([]);
      client.destroy();
    },
  );

  for (const [retention, wrapped] of [
    ['', false],
    ['0x23', false],
    ['3.5e1', false],
    // The SDK's deserializer reads these as 0 (backups off) and 35.
    ['', true],
    ['0x23', true],
  ] as const) {
    it(`reports pitr.enabled NOT_AVAILABLE, not FAILED or PASSED, for <BackupRetentionPeriod>${retention}</BackupRetentionPeriod> (lean decoding${wrapped ? ', through a client with its own `send`' : ''})`, async () => {
      // Prepare: one instance whose retention is not a decimal integer.
      const client = answering(
        (operation) =>
          operation === 'DescribeDBInstances'
            ? `<DBInstances><DBInstance><DBInstanceIdentifier>certctl-db</DBInstanceIdentifier><DbiResourceId>db-CERTCTL</DbiResourceId><Engine>postgres</Engine><BackupRetentionPeriod>${retention}</BackupRetentionPeriod></DBInstance></DBInstances>`
            : `<${LISTS[operation]}/>`,
        { wrapped },
      );
      // Act
      const [fact, ...others] = await collectRdsPitrFacts(client, scope, policy);
      const outcome = fact && pitrEnabledCheck.evaluate(fact, { policy, now: NOW });
      // Assess: the value is left unknown, as a missing element is.
      expect(others).toEqual([]);
      expect(fact?.retentionDays).toBeUndefined();
      expect(outcome?.status).toBe('NOT_AVAILABLE');
      client.destroy();
    });
  }
});

describe('reading the body of a successful answer', () => {
  /** A DescribeDBInstances answer listing `ids`, as bytes. */
  function answer(ids: readonly string[]): Buffer {
    const members = ids
      .map(
        (id) =>
          `<DBInstance><DBInstanceIdentifier>${id}</DBInstanceIdentifier><Endpoint><Address>${id}.example</Address></Endpoint></DBInstance>`,
      )
      .join('');
    return Buffer.from(
      `<DescribeDBInstancesResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBInstancesResult><DBInstances>${members}</DBInstances></DescribeDBInstancesResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeDBInstancesResponse>`,
      'utf8',
    );
  }

  /** `bytes` cut every `size` bytes (UTF-8 sequences cut through too). */
  function chunked(bytes: Buffer, size: number): Buffer[] {
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
    return chunks;
  }

  /** A client whose answers are 200s with the body `body` makes (one call after another). */
  function answering(body: () => unknown): RDSClient {
    return new RDSClient({
      region: REGION,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: {
        handle: async () => ({
          response: { statusCode: 200, headers: { 'content-type': 'text/xml' }, body: body() },
        }),
      } as never,
    });
  }

  /** DescribeDBInstances through the lean plugin: the identifiers it lists. */
  async function leanIds(client: RDSClient): Promise<string[]> {
    const command = new DescribeDBInstancesCommand({});
    command.middlewareStack.use(
      leanRdsListPlugin('DescribeDBInstances', client.config.streamCollector as StreamCollector) as never,
    );
    const output = await client.send(command);
    return (output.DBInstances ?? []).map((instance) => instance.DBInstanceIdentifier ?? '');
  }

  const IDS = Array.from({ length: 300 }, (_, index) => `datenbank-größe-${index}-ü€😀`);

  it.each([
    ['one chunk', 1 << 20],
    ['chunks of 64 KiB', 1 << 16],
    ['chunks of 7 bytes, cutting multi-byte characters', 7],
  ])('reads a body that comes in %s whole', async (_, size) => {
    // Prepare
    const client = answering(() => Readable.from(chunked(answer(IDS), size)));
    // Act
    const ids = await leanIds(client);
    // Assess
    expect(ids).toEqual(IDS);
    client.destroy();
  });

  it('reads a body that is not a Node stream through the client collector', async () => {
    // Prepare: a web stream, as a fetch-based handler would give.
    const bytes = answer(IDS);
    const client = answering(
      () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunked(bytes, 1000)) controller.enqueue(new Uint8Array(chunk));
            controller.close();
          },
        }),
    );
    // Act
    const ids = await leanIds(client);
    // Assess
    expect(ids).toEqual(IDS);
    client.destroy();
  });

  it('keeps the bodies of calls in flight together apart', async () => {
    // Prepare: each body trickles in while the others do, and is read after the larger ones.
    const lists = [IDS.slice(0, 40), IDS, IDS.slice(100, 101), IDS.slice(5, 250)];
    let call = 0;
    const client = answering(() => {
      const chunks = chunked(answer(lists[call++ % lists.length] ?? []), 500);
      return Readable.from(
        (async function* () {
          for (const chunk of chunks) {
            await new Promise((resolve) => setImmediate(resolve));
            yield chunk;
          }
        })(),
      );
    });
    // Act
    const decoded = await Promise.all(lists.map(() => leanIds(client)));
    // Assess
    expect(decoded).toEqual(lists);
    client.destroy();
  });

  it('fails the call when the body breaks off, instead of decoding what arrived', async () => {
    // Prepare
    const bytes = answer(IDS);
    const client = answering(() =>
      Readable.from(
        (async function* () {
          yield bytes.subarray(0, 5000);
          throw new Error('socket hang up');
        })(),
      ),
    );
    // Act + Assess
    await expect(leanIds(client)).rejects.toThrow(/socket hang up/);
    client.destroy();
  });
});
