/**
 * An instances.list answer whose wrapper values have the wrong JSON type. proto3 JSON carries a
 * `google.protobuf.BoolValue` as a bare JSON boolean and an `Int32Value` as a number or a decimal
 * string; gax's decoding coerces anything else (protobufjs `fromObject`: `Boolean("false")` is true,
 * `"abc" | 0` is 0). Read through the real read clients (lean path and gax alike), such a value must
 * be "not sent", as the AWS lean decoder reads `1` for a boolean (functions/aws/xml-wire.ts): the
 * check that needs it is NOT_AVAILABLE naming the field, never judged on a coerced value.
 */
import sqlProtos from '@google-cloud/sql/build/protos/protos.json' with { type: 'json' };
import gaxFallback from 'google-gax/fallback';
import { afterEach, describe, expect, it } from 'vitest';
import { pitrChecks } from '../../functions/checks/pitr/index.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { GcpClientFactory } from '../../functions/gcp/clients.ts';
import { readCloudSqlPitrFacts } from '../../functions/gcp/cloud-sql.ts';
import { answerSanitizer, type SanitizedRead } from '../../functions/gcp/cloud-sql-lean.ts';
import { pruneReadAnswers } from '../../functions/gcp/cloud-sql-read-view.ts';
import { type Loopback, loopback } from './loopback.ts';
import { NOW, PROJECT } from './sim-setup.ts';

const policy = parsePolicy({ targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] } });

/** A healthy PITR instance whose backupConfiguration is `backup` over the healthy one. */
function answer(backup: Record<string, unknown>) {
  return {
    items: [
      {
        name: 'db-1',
        region: 'europe-west1',
        databaseVersion: 'POSTGRES_16',
        instanceType: 'CLOUD_SQL_INSTANCE',
        state: 'RUNNABLE',
        createTime: '2025-01-01T00:00:00Z',
        settings: {
          edition: 'ENTERPRISE_PLUS',
          userLabels: { 'certctl-backup-guard': 'enabled' },
          deletionProtectionEnabled: true,
          retainBackupsOnDelete: true,
          finalBackupConfig: { enabled: true, retentionDays: 30 },
          backupConfiguration: {
            enabled: true,
            location: 'eu',
            pointInTimeRecoveryEnabled: true,
            transactionalLogStorageState: 'CLOUD_STORAGE',
            transactionLogRetentionDays: 30,
            backupRetentionSettings: { retentionUnit: 'COUNT', retainedBackups: 31 },
            ...backup,
          },
        },
      },
    ],
  };
}

let api: Loopback | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** The pitr checks' outcomes for the instance, read through the real clients (`leanDecoding` as given). */
async function outcomes(backup: Record<string, unknown>, leanDecoding: boolean) {
  api = await loopback((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    response.writeHead(200, { 'content-type': 'application/json' });
    if (url.pathname.endsWith('/getLatestRecoveryTime')) {
      response.end(
        JSON.stringify({
          earliestRecoveryTime: new Date(NOW.getTime() - 31 * 86_400_000).toISOString(),
          latestRecoveryTime: new Date(NOW.getTime() - 60_000).toISOString(),
        }),
      );
    } else if (url.pathname.endsWith('/backupRuns')) {
      response.end(JSON.stringify({ items: [] }));
    } else {
      response.end(JSON.stringify(answer(backup)));
    }
  });
  const factory = new GcpClientFactory({ endpoint: api.endpoint, readTimeoutMs: 2000, leanDecoding });
  try {
    const [fact] = await readCloudSqlPitrFacts(factory.cloudSql(), PROJECT, policy, { now: () => NOW });
    if (!fact) throw new Error('no fact');
    const byId = (id: string) =>
      pitrChecks.find((check) => check.metadata.id === id)?.evaluate(fact, { policy, now: NOW });
    return { fact, enabled: byId('pitr.enabled'), retention: byId('pitr.retention') };
  } finally {
    await factory.close();
  }
}

describe.each([
  ['the lean path', true],
  ['gax only', false],
])('wrong-typed wrapper values in instances.list, read through %s', (_way, leanDecoding) => {
  it.each([
    ['backupConfiguration.enabled', { enabled: 'false' }],
    ['pointInTimeRecoveryEnabled', { pointInTimeRecoveryEnabled: 'true' }],
    ['pointInTimeRecoveryEnabled', { pointInTimeRecoveryEnabled: 1 }],
  ])('does not pass pitr.enabled on %s sent as %j, and names the field', async (field, backup) => {
    // Act
    const { enabled } = await outcomes(backup, leanDecoding);

    // Assess
    expect(enabled?.status).toBe('NOT_AVAILABLE');
    expect(enabled?.description).toContain(field);
  });

  it('does not read transactionLogRetentionDays "abc" as 0, nor fail it as backups off', async () => {
    // Act
    const { fact, retention } = await outcomes({ transactionLogRetentionDays: 'abc' }, leanDecoding);

    // Assess
    expect(fact.retentionDays).toBeUndefined();
    expect(retention?.status).toBe('NOT_AVAILABLE');
    expect(retention?.description).toContain('transactionLogRetentionDays');
  });

  it('reads an Int32Value sent as a decimal string, as proto3 JSON allows', async () => {
    // Act
    const { fact, retention } = await outcomes({ transactionLogRetentionDays: '30' }, leanDecoding);

    // Assess
    expect(fact.retentionDays).toBe(30);
    expect(retention?.status).toBe('PASSED');
  });
});

/**
 * instances.get, the snapshot action's read of one instance (its state before a refused backup, its
 * customer-managed key): gax decodes it, so a wrong-typed wrapper must reach gax as not sent there
 * too, or `"enabled": "false"` reads `{ value: true }` for whatever reads the instance next.
 */
describe('wrong-typed wrapper values in instances.get (the snapshot action read)', () => {
  /** The instance instances.get answers with, its backupConfiguration `backup` over the healthy one. */
  async function getInstance(backup: Record<string, unknown>) {
    const [instance] = answer(backup).items;
    api = await loopback((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          ...instance,
          diskEncryptionConfiguration: { kmsKeyName: 'projects/p/locations/eu/keyRings/r/cryptoKeys/k' },
        }),
      );
    });
    const factory = new GcpClientFactory({ endpoint: api.endpoint, readTimeoutMs: 2000 });
    try {
      const [read] = await factory.cloudSqlBackups().getInstance({ project: PROJECT, instance: 'db-1' });
      return read;
    } finally {
      await factory.close();
    }
  }

  it.each([
    ['enabled', { enabled: 'false' }],
    ['pointInTimeRecoveryEnabled', { pointInTimeRecoveryEnabled: 'true' }],
    ['pointInTimeRecoveryEnabled', { pointInTimeRecoveryEnabled: 1 }],
    ['transactionLogRetentionDays', { transactionLogRetentionDays: 'abc' }],
    ['transactionLogRetentionDays', { transactionLogRetentionDays: 2 ** 31 }],
  ])('reads %s sent as %j as not sent', async (field, backup) => {
    // Act
    const instance = await getInstance(backup);

    // Assess
    const read = (instance.settings?.backupConfiguration as Record<string, unknown> | null | undefined)?.[
      field
    ];
    expect(read ?? undefined).toBeUndefined();
  });

  it('keeps the well-typed values and the fields the snapshot action reads', async () => {
    // Act
    const instance = await getInstance({ transactionLogRetentionDays: '30' });

    // Assess
    expect(instance.state).toBe('RUNNABLE');
    expect(instance.diskEncryptionConfiguration?.kmsKeyName).toBe(
      'projects/p/locations/eu/keyRings/r/cryptoKeys/k',
    );
    expect(instance.settings?.backupConfiguration?.enabled).toEqual({ value: true });
    expect(instance.settings?.backupConfiguration?.transactionLogRetentionDays).toEqual({ value: 30 });
  });
});

/**
 * The cleaning walker (functions/gcp/cloud-sql-lean.ts removeNotSent) walks messages and lists but
 * not map values: it need not, since the read view's only map is a map<string, string> and the
 * decoder refuses to compile any other (then no sanitizer exists and gax would coerce unchecked).
 * Pinned on the real protos, so a field added under a map, or a map of another kind, fails here.
 */
describe('the maps of the read view the cleaning walks past', () => {
  const root = gaxFallback.protobuf.Root.fromJSON(
    pruneReadAnswers(sqlProtos as never) as gaxFallback.protobuf.INamespace,
  );
  const reads: readonly SanitizedRead[] = [
    'instances.list',
    'instances.get',
    'instances.getLatestRecoveryTime',
    'backupRuns.list',
  ];
  const answerTypes = [
    'InstancesListResponse',
    'DatabaseInstance',
    'SqlInstancesGetLatestRecoveryTimeResponse',
    'BackupRunsListResponse',
  ];

  /** Every map field reachable from `type`, as `Type.field: map<key, value>`. */
  function mapsUnder(type: gaxFallback.protobuf.Type, seen = new Set<string>()): string[] {
    if (seen.has(type.fullName)) return [];
    seen.add(type.fullName);
    type.resolveAll();
    return type.fieldsArray.flatMap((field) => {
      const here =
        field instanceof gaxFallback.protobuf.MapField
          ? [`${type.name}.${field.name}: map<${field.keyType}, ${field.type}>`]
          : [];
      const nested =
        field.resolvedType instanceof gaxFallback.protobuf.Type ? mapsUnder(field.resolvedType, seen) : [];
      return [...here, ...nested];
    });
  }

  it('holds one map, settings.userLabels of strings, under every answer the cleaning reads', () => {
    // Act
    const maps = [
      ...new Set(answerTypes.flatMap((name) => mapsUnder(root.lookupType(`google.cloud.sql.v1.${name}`)))),
    ];

    // Assess: no bool, int32 or wrapper (what the cleaning removes) can sit under a map.
    expect(maps).toEqual(['Settings.userLabels: map<string, string>']);
  });

  it.each(reads)('compiles a sanitizer for %s, so gax never decodes its answers uncleaned', (read) => {
    // Act / Assess
    expect(answerSanitizer(root as never, read)).toBeTypeOf('function');
  });
});
