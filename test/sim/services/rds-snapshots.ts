/**
 * Simulated RDS manual snapshots and pending maintenance (query protocol, API 2014-10-31):
 * CreateDBSnapshot, CreateDBClusterSnapshot, DescribeDBSnapshots, DescribeDBClusterSnapshots,
 * DeleteDBSnapshot, DeleteDBClusterSnapshot, DescribeDBSnapshotAttributes,
 * DescribeDBClusterSnapshotAttributes and DescribePendingMaintenanceActions. The RDS service
 * (rds.ts) hands these actions here; instances and clusters come from its store.
 *
 * Error codes, member names and list member names are those of the published model (botocore
 * `rds/2014-10-31/service-2.json`, copied as data in test/sim/models/rds-snapshot-errors.json).
 * State follows the simulator clock: a snapshot is `creating` for its duration, then `available`
 * (or `failed` when the scenario says so); while one is `creating` its source is busy and a second
 * create is refused with InvalidDBInstanceState, as RDS-EVENT-0023 describes
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Events.Messages.html).
 * Manual snapshots count against the 100-per-region quota (per kind), answered with
 * SnapshotQuotaExceeded (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html).
 */
import * as z from 'zod';
import errors from '../models/rds-snapshot-errors.json' with { type: 'json' };
import {
  listMembers,
  QueryApiError,
  queryFilters,
  queryResult,
  XmlList,
  type XmlStructure,
} from '../protocols/aws-query.ts';
import {
  accountIdSchema,
  regionSchema,
  type SimTime,
  simTimeSchema,
  tagsSchema,
} from '../scenario-fields.ts';
import { awsManagedKeyArn } from './kms.ts';
import { derivedResourceId, type RdsCluster, type RdsInstance, type RdsStore } from './rds.ts';

const DEFAULT_QUOTA = 100;
const MAX_RECORDS = 100;
const MIN_RECORDS = 20;

/** A snapshot target's simulated behaviour. */
const targetBehaviourSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .transform((id) => id.toLowerCase()),
  kind: z.enum(['instance', 'cluster']).default('instance'),
  account: accountIdSchema.optional(),
  region: regionSchema,
  /** How long a snapshot of this target stays `creating` (simulated milliseconds). */
  durationMs: z.int().min(0).optional(),
  /** The target reports this state (refusing snapshots) for this long after the simulator starts. */
  busy: z.strictObject({ status: z.string().default('backing-up'), forMs: z.int().min(0) }).optional(),
  /** Snapshots of this target end `failed` instead of `available`. */
  failSnapshots: z.boolean().default(false),
});

const existingSnapshotSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.enum(['instance', 'cluster']).default('instance'),
  target: z
    .string()
    .min(1)
    .transform((id) => id.toLowerCase()),
  account: accountIdSchema.optional(),
  region: regionSchema,
  createdAt: simTimeSchema.prefault('-2d'),
  /**
   * A snapshot that is a copy made then (CopyDBSnapshot, CopyDBClusterSnapshot): `SnapshotCreateTime`
   * says the copy's time; an instance snapshot's `OriginalSnapshotCreateTime` still `createdAt`,
   * when the data was taken (a cluster snapshot has no such field).
   */
  copiedAt: simTimeSchema.optional(),
  /**
   * An instance snapshot copied from another region: `SourceRegion` names it ("the Region that the DB
   * snapshot was created in or copied from", DBSnapshot in the RDS API reference).
   */
  sourceRegion: regionSchema.optional(),
  /**
   * The ARN of the snapshot this one was copied from: an instance snapshot's across accounts or
   * regions (`SourceDBSnapshotIdentifier`: "only has a value in the case of a cross-account or
   * cross-Region copy"), a cluster snapshot's whenever it is a copy (`SourceDBClusterSnapshotArn`).
   */
  copiedFrom: z.string().startsWith('arn:').optional(),
  status: z.enum(['available', 'failed']).default('available'),
  /**
   * A snapshot of an earlier database of the same identifier, deleted and created again since: its
   * `DbiResourceId` / `DbClusterResourceId` is that earlier database's, not the one listed now.
   */
  ofEarlierDatabase: z.boolean().default(false),
  /** The database's resource id the snapshot names, as is (default: the database's, see ofEarlierDatabase). */
  sourceResourceId: z.string().min(1).optional(),
  /**
   * false: DescribeDBSnapshots / DescribeDBClusterSnapshots leave the snapshot's `DbiResourceId` /
   * `DbClusterResourceId` out of their answer (both "Required: No" in the RDS API reference); RDS
   * still knows it (a `dbi-resource-id` filter still finds the snapshot).
   */
  resourceIdSent: z.boolean().default(true),
  tags: tagsSchema,
  /** Whether the snapshot is encrypted: as its database when the scenario has it, else true. */
  encrypted: z.boolean().optional(),
  /**
   * The key of an encrypted snapshot (`KmsKeyId`): its database's key when the scenario has it, else
   * the account's AWS-managed `aws/rds` key of the region (test/sim/services/kms.ts).
   */
  kmsKeyId: z.string().min(1).optional(),
  /**
   * The accounts the snapshot is shared with: the values of its `restore` attribute, account ids or
   * `all` (public), as DescribeDBSnapshotAttributes / DescribeDBClusterSnapshotAttributes answer
   * them (ModifyDBSnapshotAttribute in the RDS API reference). Default: shared with none.
   */
  sharedWith: z.array(z.union([accountIdSchema, z.literal('all')])).default([]),
  /** Its attribute read is refused with AccessDenied (a caller whose IAM lacks the describe). */
  attributesDenied: z.boolean().default(false),
});

const pendingMaintenanceSchema = z.strictObject({
  target: z
    .string()
    .min(1)
    .transform((id) => id.toLowerCase()),
  kind: z.enum(['instance', 'cluster']).default('instance'),
  account: accountIdSchema.optional(),
  region: regionSchema,
  action: z.enum([
    'ca-certificate-rotation',
    'db-upgrade',
    'hardware-maintenance',
    'os-upgrade',
    'system-update',
    'serverless-platform-version-update',
  ]),
  autoAppliedAfter: simTimeSchema.optional(),
  forcedApply: simTimeSchema.optional(),
  currentApply: simTimeSchema.optional(),
  optInStatus: z.enum(['immediate', 'next-maintenance', 'undo-opt-in']).optional(),
  description: z.string().default('New Operating System update is available'),
});

/** `services.rds.snapshots` in a scenario. */
export const rdsSnapshotsSectionSchema = z.strictObject({
  /** Manual snapshots per kind per region (the RDS default quota is 100). */
  quota: z.int().min(0).default(DEFAULT_QUOTA),
  /** How long snapshots take when a target gives no duration. */
  defaultDurationMs: z.int().min(0).default(2000),
  targets: z.array(targetBehaviourSchema).default([]),
  existing: z.array(existingSnapshotSchema).default([]),
  pendingMaintenance: z.array(pendingMaintenanceSchema).default([]),
});

export type RdsSnapshotsSection = z.output<typeof rdsSnapshotsSectionSchema>;
export type RdsSnapshotsSectionInput = z.input<typeof rdsSnapshotsSectionSchema>;
type Kind = 'instance' | 'cluster';
type TargetBehaviour = z.output<typeof targetBehaviourSchema>;

/** A manual snapshot held by the simulator. */
export interface SimSnapshot {
  readonly id: string;
  readonly kind: Kind;
  readonly account: string;
  readonly region: string;
  readonly target: string;
  /**
   * The resource id of the database it was taken of, kept from then (`DbiResourceId`,
   * `DbClusterResourceId`): a database created again under the same identifier has another.
   */
  readonly sourceResourceId: string;
  /** Whether the describe answers send {@link sourceResourceId} (a scenario may leave it out). */
  readonly resourceIdSent?: boolean | undefined;
  readonly arn: string;
  readonly createdAt: Date;
  /** When this (instance) snapshot was copied from its original, if it is a copy. */
  readonly copiedAt?: Date | undefined;
  /** The region an instance snapshot was copied from, when it was copied from another. */
  readonly sourceRegion?: string | undefined;
  /** The ARN of the snapshot it was copied from, across accounts or regions. */
  readonly copiedFrom?: string | undefined;
  readonly durationMs: number;
  readonly fails: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly encrypted: boolean;
  readonly kmsKeyId: string | undefined;
  readonly engine: string;
  readonly engineVersion: string;
  /** The values of its `restore` attribute: account ids, or `all` (public); empty: shared with none. */
  readonly sharedWith: readonly string[];
  /** Its attribute read is refused with AccessDenied. */
  readonly attributesDenied?: boolean | undefined;
}

const ERROR = errors as Readonly<Record<string, { code: string; status: number }>>;

function fail(shape: string, message: string): never {
  const known = ERROR[shape];
  if (!known) throw new Error(`no error ${shape} in rds-snapshot-errors.json`);
  throw new QueryApiError(known.status, known.code, message);
}

function invalidParameter(message: string): never {
  throw new QueryApiError(400, 'InvalidParameterValue', message);
}

/** RDS snapshot identifiers: a letter first, letters/digits/single hyphens, no trailing hyphen. */
const SNAPSHOT_ID = /^[A-Za-z](?!.*--)[A-Za-z0-9-]*(?<!-)$/;

export function snapshotStatus(snapshot: SimSnapshot, now: Date): 'creating' | 'available' | 'failed' {
  if (now.getTime() < snapshot.createdAt.getTime() + snapshot.durationMs) return 'creating';
  return snapshot.fails ? 'failed' : 'available';
}

export class RdsSnapshotSim {
  #section: RdsSnapshotsSection;
  readonly #store: RdsStore;
  readonly #defaultAccount: string;
  readonly #startedAt: Date;
  readonly #snapshots = new Map<string, SimSnapshot>();
  /** Apply dates are fixed once announced: resolved against the clock when the simulator starts. */
  readonly #maintenance: {
    spec: RdsSnapshotsSection['pendingMaintenance'][number];
    dates: Record<string, Date | undefined>;
  }[];
  /** Creates accepted, for tests and benchmarks (a re-sent request must add none). */
  createCalls = 0;

  constructor(section: RdsSnapshotsSection, store: RdsStore, defaultAccount: string, now: Date) {
    this.#section = section;
    this.#store = store;
    this.#defaultAccount = defaultAccount;
    this.#startedAt = now;
    this.#maintenance = section.pendingMaintenance.map((spec) => ({
      spec,
      dates: {
        auto: spec.autoAppliedAfter?.at(now),
        forced: spec.forcedApply?.at(now),
        current: (spec.currentApply ?? spec.autoAppliedAfter ?? spec.forcedApply)?.at(now),
      },
    }));
    for (const spec of section.existing) {
      const account = spec.account ?? defaultAccount;
      const place = { account, region: spec.region, id: spec.target };
      const instance =
        spec.kind === 'instance' ? store.instance(account, spec.region, spec.target) : undefined;
      const cluster = spec.kind === 'cluster' ? store.cluster(account, spec.region, spec.target) : undefined;
      const source = instance ?? cluster;
      const current = instance?.dbiResourceId ?? cluster?.resourceId;
      const encrypted = spec.encrypted ?? source?.storageEncrypted ?? true;
      this.#put({
        id: spec.id.toLowerCase(),
        kind: spec.kind,
        account,
        region: spec.region,
        target: spec.target,
        sourceResourceId:
          spec.sourceResourceId ??
          (spec.ofEarlierDatabase
            ? derivedResourceId(spec.kind, place, 'earlier')
            : (current ?? derivedResourceId(spec.kind, place))),
        resourceIdSent: spec.resourceIdSent,
        arn: arnOf(spec.kind, account, spec.region, spec.id.toLowerCase()),
        createdAt: (spec.createdAt as SimTime).at(now),
        copiedAt: (spec.copiedAt as SimTime | undefined)?.at(now),
        sourceRegion: spec.sourceRegion,
        copiedFrom: spec.copiedFrom,
        durationMs: 0,
        fails: spec.status === 'failed',
        tags: spec.tags,
        encrypted,
        kmsKeyId: encrypted
          ? (spec.kmsKeyId ?? source?.kmsKeyId ?? awsManagedKeyArn(account, spec.region, 'rds'))
          : undefined,
        engine: spec.kind === 'cluster' ? 'aurora-postgresql' : 'postgres',
        engineVersion: '16.4',
        sharedWith: spec.sharedWith,
        attributesDenied: spec.attributesDenied,
      });
    }
  }

  static readonly ACTIONS: ReadonlySet<string> = new Set([
    'CreateDBSnapshot',
    'CreateDBClusterSnapshot',
    'DescribeDBSnapshots',
    'DescribeDBClusterSnapshots',
    'DeleteDBSnapshot',
    'DeleteDBClusterSnapshot',
    'DescribeDBSnapshotAttributes',
    'DescribeDBClusterSnapshotAttributes',
    'DescribePendingMaintenanceActions',
  ]);

  /** Make a target report `status` (refusing snapshots) for `forMs` from `now` (the demo, tests). */
  setBusy(
    target: { id: string; kind?: Kind; account?: string; region: string },
    status: string,
    forMs: number,
    now: Date,
  ): void {
    const id = target.id.toLowerCase();
    const kind = target.kind ?? 'instance';
    const account = target.account ?? this.#defaultAccount;
    const until = now.getTime() - this.#startedAt.getTime() + forMs;
    const others = this.#section.targets.filter(
      (t) =>
        !(
          t.id === id &&
          t.kind === kind &&
          t.region === target.region &&
          (t.account ?? this.#defaultAccount) === account
        ),
    );
    const previous = this.#section.targets.find((t) => !others.includes(t));
    this.#section.targets = [
      ...others,
      {
        ...(previous ?? { id, kind, region: target.region, failSnapshots: false }),
        account,
        busy: { status, forMs: until },
      },
    ];
  }

  /** Make the snapshots of a target created from now on end `failed` (or not) (tests). */
  setFailing(target: { id: string; kind?: Kind; account?: string; region: string }, fails: boolean): void {
    const id = target.id.toLowerCase();
    const kind = target.kind ?? 'instance';
    const account = target.account ?? this.#defaultAccount;
    const same = (t: RdsSnapshotsSection['targets'][number]) =>
      t.id === id &&
      t.kind === kind &&
      t.region === target.region &&
      (t.account ?? this.#defaultAccount) === account;
    const previous = this.#section.targets.find(same);
    this.#section.targets = [
      ...this.#section.targets.filter((t) => !same(t)),
      { ...(previous ?? { id, kind, region: target.region }), account, failSnapshots: fails },
    ];
  }

  /**
   * Apply a pending maintenance action of one resource: it is no longer listed (tests: Aurora
   * applies an update to its DB instances one at a time).
   */
  applyMaintenance(target: { id: string; kind?: Kind; account?: string; region: string }): void {
    const id = target.id.toLowerCase();
    const kind = target.kind ?? 'instance';
    const account = target.account ?? this.#defaultAccount;
    const remaining = this.#maintenance.filter(
      ({ spec }) =>
        !(
          spec.target === id &&
          spec.kind === kind &&
          spec.region === target.region &&
          (spec.account ?? this.#defaultAccount) === account
        ),
    );
    this.#maintenance.splice(0, this.#maintenance.length, ...remaining);
  }

  /** Replace the tags of the snapshots named `id` (tests: someone re-tags a snapshot by hand). */
  retag(id: string, tags: Readonly<Record<string, string>>): void {
    for (const [key, snapshot] of this.#snapshots) {
      if (snapshot.id === id) this.#snapshots.set(key, { ...snapshot, tags });
    }
  }

  /** Every snapshot the simulator holds (tests). */
  snapshots(): SimSnapshot[] {
    return [...this.#snapshots.values()];
  }

  handle(action: string, params: URLSearchParams, account: string, region: string, now: Date) {
    switch (action) {
      case 'CreateDBSnapshot':
        return this.#create('instance', params, account, region, now);
      case 'CreateDBClusterSnapshot':
        return this.#create('cluster', params, account, region, now);
      case 'DescribeDBSnapshots':
        return this.#describe('instance', params, account, region, now);
      case 'DescribeDBClusterSnapshots':
        return this.#describe('cluster', params, account, region, now);
      case 'DeleteDBSnapshot':
        return this.#delete('instance', params, account, region, now);
      case 'DeleteDBClusterSnapshot':
        return this.#delete('cluster', params, account, region, now);
      case 'DescribeDBSnapshotAttributes':
        return this.#attributes('instance', params, account, region);
      case 'DescribeDBClusterSnapshotAttributes':
        return this.#attributes('cluster', params, account, region);
      default:
        return this.#pendingMaintenance(params, account, region);
    }
  }

  #key(kind: Kind, account: string, region: string, id: string): string {
    return `${kind}/${account}/${region}/${id.toLowerCase()}`;
  }

  #put(snapshot: SimSnapshot): void {
    this.#snapshots.set(this.#key(snapshot.kind, snapshot.account, snapshot.region, snapshot.id), snapshot);
  }

  #behaviour(kind: Kind, account: string, region: string, id: string): TargetBehaviour | undefined {
    return this.#section.targets.find(
      (target) =>
        target.kind === kind &&
        target.id === id &&
        target.region === region &&
        (target.account ?? this.#defaultAccount) === account,
    );
  }

  #create(kind: Kind, params: URLSearchParams, account: string, region: string, now: Date) {
    const names =
      kind === 'instance'
        ? { snapshot: 'DBSnapshotIdentifier', source: 'DBInstanceIdentifier', max: 255 }
        : { snapshot: 'DBClusterSnapshotIdentifier', source: 'DBClusterIdentifier', max: 63 };
    const id = params.get(names.snapshot);
    const sourceId = params.get(names.source);
    if (!id) invalidParameter(`The parameter ${names.snapshot} must be provided and must not be blank.`);
    if (!sourceId) invalidParameter(`The parameter ${names.source} must be provided and must not be blank.`);
    if (!SNAPSHOT_ID.test(id) || id.length > names.max) {
      invalidParameter(
        `The parameter ${names.snapshot} is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.`,
      );
    }
    const tags = parseTags(params);
    const source =
      kind === 'instance'
        ? this.#store.instance(account, region, sourceId)
        : this.#store.cluster(account, region, sourceId);
    if (!source) {
      if (kind === 'instance') fail('DBInstanceNotFoundFault', `DBInstance ${sourceId} not found.`);
      fail('DBClusterNotFoundFault', `DBCluster ${sourceId} not found.`);
    }
    if (kind === 'instance' && (source as RdsInstance).dbClusterIdentifier) {
      // Aurora members are snapshotted through their cluster (cloud-custodian#313).
      invalidParameter(
        `The specified instance ${source.id} is a member of a cluster and a snapshot cannot be created directly. Please use the CreateDBClusterSnapshot API instead.`,
      );
    }
    const key = this.#key(kind, account, region, id);
    if (this.#snapshots.has(key)) {
      if (kind === 'instance')
        fail(
          'DBSnapshotAlreadyExistsFault',
          `Cannot create the snapshot because a snapshot with the identifier ${id} already exists.`,
        );
      fail(
        'DBClusterSnapshotAlreadyExistsFault',
        `Cannot create the cluster snapshot because one with the identifier ${id} already exists.`,
      );
    }
    const behaviour = this.#behaviour(kind, account, region, source.id);
    const busyStatus =
      behaviour?.busy && now.getTime() < this.#startedAt.getTime() + behaviour.busy.forMs
        ? behaviour.busy.status
        : [...this.#snapshots.values()].some(
              (other) =>
                other.kind === kind &&
                other.account === account &&
                other.region === region &&
                other.target === source.id &&
                snapshotStatus(other, now) === 'creating',
            )
          ? 'backing-up'
          : source.status;
    if (busyStatus !== 'available' && busyStatus !== 'storage-optimization') {
      if (kind === 'instance')
        fail(
          'InvalidDBInstanceStateFault',
          `Cannot create a snapshot because the database instance ${source.id} is not currently in the available state (it is ${busyStatus}).`,
        );
      fail(
        'InvalidDBClusterStateFault',
        `DBCluster ${source.id} is not currently in the available state (it is ${busyStatus}).`,
      );
    }
    const ours = [...this.#snapshots.values()].filter(
      (other) => other.kind === kind && other.account === account && other.region === region,
    );
    if (ours.length >= this.#section.quota) {
      fail('SnapshotQuotaExceededFault', 'Cannot create more than 100 manual snapshots');
    }
    const snapshot: SimSnapshot = {
      id: id.toLowerCase(),
      kind,
      account,
      region,
      target: source.id,
      sourceResourceId:
        kind === 'instance' ? (source as RdsInstance).dbiResourceId : (source as RdsCluster).resourceId,
      arn: arnOf(kind, account, region, id.toLowerCase()),
      createdAt: now,
      durationMs: behaviour?.durationMs ?? this.#section.defaultDurationMs,
      fails: behaviour?.failSnapshots ?? false,
      tags,
      encrypted: source.storageEncrypted,
      kmsKeyId: source.kmsKeyId,
      engine: source.engine,
      engineVersion: source.engineVersion,
      sharedWith: [],
    };
    this.#put(snapshot);
    this.createCalls += 1;
    return kind === 'instance'
      ? queryResult('CreateDBSnapshot', NAMESPACE, {
          DBSnapshot: instanceSnapshotXml(snapshot, now, this.#store),
        })
      : queryResult('CreateDBClusterSnapshot', NAMESPACE, {
          DBClusterSnapshot: clusterSnapshotXml(snapshot, now, this.#store),
        });
  }

  #describe(kind: Kind, params: URLSearchParams, account: string, region: string, now: Date) {
    const names =
      kind === 'instance'
        ? {
            snapshot: 'DBSnapshotIdentifier',
            source: 'DBInstanceIdentifier',
            idFilter: 'db-snapshot-id',
            sourceFilter: 'db-instance-id',
            filters: ['db-instance-id', 'db-snapshot-id', 'dbi-resource-id', 'snapshot-type', 'engine'],
          }
        : {
            snapshot: 'DBClusterSnapshotIdentifier',
            source: 'DBClusterIdentifier',
            idFilter: 'db-cluster-snapshot-id',
            sourceFilter: 'db-cluster-id',
            filters: ['db-cluster-id', 'db-cluster-snapshot-id', 'snapshot-type', 'engine'],
          };
    let candidates = [...this.#snapshots.values()]
      .filter((s) => s.kind === kind && s.account === account && s.region === region)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const id = params.get(names.snapshot)?.toLowerCase();
    const source = params.get(names.source)?.toLowerCase();
    if (id) {
      candidates = candidates.filter((s) => s.id === id);
      if (candidates.length === 0) {
        if (kind === 'instance') fail('DBSnapshotNotFoundFault', `DBSnapshot ${id} not found.`);
        fail('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`);
      }
    }
    if (source) candidates = candidates.filter((s) => s.target === source);
    const type = params.get('SnapshotType');
    if (type && type !== 'manual') candidates = [];
    for (const filter of queryFilters(params)) {
      if (!names.filters.includes(filter.name)) invalidParameter(`Unrecognized filter name: ${filter.name}.`);
      const values = new Set(filter.values.map((value) => value.toLowerCase()));
      if (filter.name === names.idFilter) candidates = candidates.filter((s) => values.has(s.id));
      else if (filter.name === names.sourceFilter)
        candidates = candidates.filter((s) => values.has(s.target));
      else if (filter.name === 'snapshot-type') candidates = values.has('manual') ? candidates : [];
      else if (filter.name === 'engine') candidates = candidates.filter((s) => values.has(s.engine));
      else if (filter.name === 'dbi-resource-id')
        candidates = candidates.filter((s) => values.has(s.sourceResourceId.toLowerCase()));
    }
    const maxRecords = Number(params.get('MaxRecords') ?? MAX_RECORDS);
    if (!Number.isInteger(maxRecords) || maxRecords < MIN_RECORDS || maxRecords > MAX_RECORDS) {
      invalidParameter(
        `Invalid value ${params.get('MaxRecords')} for MaxRecords. Must be between ${MIN_RECORDS} and ${MAX_RECORDS}`,
      );
    }
    const offset = Number(params.get('Marker') ?? '0') || 0;
    const page = candidates.slice(offset, offset + maxRecords);
    const marker = offset + maxRecords < candidates.length ? String(offset + maxRecords) : undefined;
    return kind === 'instance'
      ? queryResult('DescribeDBSnapshots', NAMESPACE, {
          Marker: marker,
          DBSnapshots: new XmlList(
            'DBSnapshot',
            page.map((s) => instanceSnapshotXml(s, now, this.#store)),
          ),
        })
      : queryResult('DescribeDBClusterSnapshots', NAMESPACE, {
          Marker: marker,
          DBClusterSnapshots: new XmlList(
            'DBClusterSnapshot',
            page.map((s) => clusterSnapshotXml(s, now, this.#store)),
          ),
        });
  }

  #delete(kind: Kind, params: URLSearchParams, account: string, region: string, now: Date) {
    const name = kind === 'instance' ? 'DBSnapshotIdentifier' : 'DBClusterSnapshotIdentifier';
    const id = params.get(name);
    if (!id) invalidParameter(`The parameter ${name} must be provided and must not be blank.`);
    const key = this.#key(kind, account, region, id);
    const snapshot = this.#snapshots.get(key);
    if (!snapshot) {
      if (kind === 'instance') fail('DBSnapshotNotFoundFault', `DBSnapshot ${id} not found.`);
      fail('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`);
    }
    if (snapshotStatus(snapshot, now) === 'creating') {
      if (kind === 'instance')
        fail(
          'InvalidDBSnapshotStateFault',
          `Cannot delete the snapshot ${id} because it is in the creating state.`,
        );
      fail(
        'InvalidDBClusterSnapshotStateFault',
        `Cannot delete the cluster snapshot ${id} because it is in the creating state.`,
      );
    }
    this.#snapshots.delete(key);
    return kind === 'instance'
      ? queryResult('DeleteDBSnapshot', NAMESPACE, {
          DBSnapshot: { ...instanceSnapshotXml(snapshot, now, this.#store), Status: 'deleted' },
        })
      : queryResult('DeleteDBClusterSnapshot', NAMESPACE, {
          DBClusterSnapshot: { ...clusterSnapshotXml(snapshot, now, this.#store), Status: 'deleted' },
        });
  }

  /**
   * A manual snapshot's attributes: RDS answers the `restore` attribute, its values the accounts
   * the snapshot is shared with (none: an empty list), `all` when public (DBSnapshotAttribute,
   * DBClusterSnapshotAttribute in the RDS API reference); an unknown snapshot is
   * DBSnapshotNotFound / DBClusterSnapshotNotFoundFault (404).
   */
  #attributes(kind: Kind, params: URLSearchParams, account: string, region: string) {
    const name = kind === 'instance' ? 'DBSnapshotIdentifier' : 'DBClusterSnapshotIdentifier';
    const id = params.get(name);
    if (!id) invalidParameter(`The parameter ${name} must be provided and must not be blank.`);
    const snapshot = this.#snapshots.get(this.#key(kind, account, region, id));
    if (!snapshot) {
      if (kind === 'instance') fail('DBSnapshotNotFoundFault', `DBSnapshot ${id} not found.`);
      fail('DBClusterSnapshotNotFoundFault', `DBClusterSnapshot ${id} not found.`);
    }
    const action =
      kind === 'instance' ? 'DescribeDBSnapshotAttributes' : 'DescribeDBClusterSnapshotAttributes';
    if (snapshot.attributesDenied) {
      throw new QueryApiError(
        403,
        'AccessDenied',
        `User: arn:aws:iam::${account}:user/certctl-operator is not authorized to perform: rds:${action} on resource: ${snapshot.arn} because no identity-based policy allows the rds:${action} action`,
      );
    }
    const restore = new XmlList(kind === 'instance' ? 'DBSnapshotAttribute' : 'DBClusterSnapshotAttribute', [
      { AttributeName: 'restore', AttributeValues: new XmlList('AttributeValue', [...snapshot.sharedWith]) },
    ]);
    return kind === 'instance'
      ? queryResult(action, NAMESPACE, {
          DBSnapshotAttributesResult: { DBSnapshotIdentifier: snapshot.id, DBSnapshotAttributes: restore },
        })
      : queryResult(action, NAMESPACE, {
          DBClusterSnapshotAttributesResult: {
            DBClusterSnapshotIdentifier: snapshot.id,
            DBClusterSnapshotAttributes: restore,
          },
        });
  }

  #pendingMaintenance(params: URLSearchParams, account: string, region: string) {
    const resource = params.get('ResourceIdentifier');
    const filters = queryFilters(params);
    for (const filter of filters) {
      if (filter.name !== 'db-instance-id' && filter.name !== 'db-cluster-id') {
        invalidParameter(`Unrecognized filter name: ${filter.name}.`);
      }
    }
    const byResource = new Map<string, XmlStructure[]>();
    for (const { spec, dates } of this.#maintenance) {
      if ((spec.account ?? this.#defaultAccount) !== account || spec.region !== region) continue;
      const arn = `arn:aws:rds:${region}:${account}:${spec.kind === 'instance' ? 'db' : 'cluster'}:${spec.target}`;
      if (resource && resource !== arn) continue;
      const wanted = filters.find(
        (f) => f.name === (spec.kind === 'instance' ? 'db-instance-id' : 'db-cluster-id'),
      );
      if (filters.length > 0 && !wanted) continue;
      if (wanted && !wanted.values.some((v) => v.toLowerCase() === spec.target || v === arn)) continue;
      const details = byResource.get(arn) ?? [];
      details.push({
        Action: spec.action,
        AutoAppliedAfterDate: dates.auto,
        ForcedApplyDate: dates.forced,
        OptInStatus: spec.optInStatus,
        CurrentApplyDate: dates.current,
        Description: spec.description,
      });
      byResource.set(arn, details);
    }
    return queryResult('DescribePendingMaintenanceActions', NAMESPACE, {
      PendingMaintenanceActions: new XmlList(
        'ResourcePendingMaintenanceActions',
        [...byResource].map(([arn, details]) => ({
          ResourceIdentifier: arn,
          PendingMaintenanceActionDetails: new XmlList('PendingMaintenanceAction', details),
        })),
      ),
    });
  }
}

const NAMESPACE = 'http://rds.amazonaws.com/doc/2014-10-31/';

function arnOf(kind: Kind, account: string, region: string, id: string): string {
  return `arn:aws:rds:${region}:${account}:${kind === 'instance' ? 'snapshot' : 'cluster-snapshot'}:${id}`;
}

function parseTags(params: URLSearchParams): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const member of listMembers(params, 'Tags.Tag')) {
    const key = params.get(`${member}.Key`);
    if (!key) invalidParameter('Tag key must not be empty.');
    if (key.length > 128) invalidParameter(`Tag key ${key} is longer than 128 characters.`);
    const value = params.get(`${member}.Value`) ?? '';
    if (value.length > 256) invalidParameter(`Tag value for ${key} is longer than 256 characters.`);
    tags[key] = value;
  }
  return tags;
}

function progress(snapshot: SimSnapshot, now: Date): number {
  if (snapshot.durationMs === 0) return 100;
  return Math.min(
    100,
    Math.floor(((now.getTime() - snapshot.createdAt.getTime()) / snapshot.durationMs) * 100),
  );
}

/**
 * The times a snapshot is dated by, once it is created: a snapshot in progress has none ("an
 * in-progress snapshot does not have a Create Time", KeyError 'SnapshotCreateTime' in
 * https://github.com/awslabs/rds-snapshot-tool/issues/45). RDS sends `SnapshotCreateTime` once the
 * snapshot is created; `OriginalSnapshotCreateTime` and `SnapshotDatabaseTime` are left out with it
 * (unverified: the stricter choice, so no caller dates a snapshot being created by either).
 */
function createdTimes<T extends Record<string, Date | undefined>>(
  snapshot: SimSnapshot,
  now: Date,
  times: T,
): Partial<T> {
  return snapshotStatus(snapshot, now) === 'creating' ? {} : times;
}

function tagXml(tags: Readonly<Record<string, string>>): XmlList {
  return new XmlList(
    'Tag',
    Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  );
}

function instanceSnapshotXml(snapshot: SimSnapshot, now: Date, store: RdsStore): XmlStructure {
  const instance: RdsInstance | undefined = store.instance(
    snapshot.account,
    snapshot.region,
    snapshot.target,
  );
  return {
    DBSnapshotIdentifier: snapshot.id,
    DBInstanceIdentifier: snapshot.target,
    ...createdTimes(snapshot, now, { SnapshotCreateTime: snapshot.copiedAt ?? snapshot.createdAt }),
    Engine: snapshot.engine,
    SourceRegion: snapshot.sourceRegion,
    SourceDBSnapshotIdentifier: snapshot.copiedFrom,
    AllocatedStorage: 100,
    Status: snapshotStatus(snapshot, now),
    Port: 5432,
    AvailabilityZone: `${snapshot.region}a`,
    VpcId: 'vpc-0a1b2c3d4e5f67890',
    InstanceCreateTime: instance?.createdAt.at(now),
    MasterUsername: 'certctl',
    EngineVersion: snapshot.engineVersion,
    LicenseModel: 'postgresql-license',
    SnapshotType: 'manual',
    PercentProgress: progress(snapshot, now),
    StorageType: 'gp3',
    Encrypted: snapshot.encrypted,
    KmsKeyId: snapshot.kmsKeyId,
    DBSnapshotArn: snapshot.arn,
    IAMDatabaseAuthenticationEnabled: false,
    DbiResourceId: snapshot.resourceIdSent === false ? undefined : snapshot.sourceResourceId,
    TagList: tagXml(snapshot.tags),
    SnapshotTarget: 'region',
    ...createdTimes(snapshot, now, {
      OriginalSnapshotCreateTime: snapshot.createdAt,
      SnapshotDatabaseTime: snapshot.createdAt,
    }),
  };
}

function clusterSnapshotXml(snapshot: SimSnapshot, now: Date, store: RdsStore): XmlStructure {
  const cluster: RdsCluster | undefined = store.cluster(snapshot.account, snapshot.region, snapshot.target);
  return {
    AvailabilityZones: new XmlList('AvailabilityZone', [`${snapshot.region}a`, `${snapshot.region}b`]),
    DBClusterSnapshotIdentifier: snapshot.id,
    DBClusterIdentifier: snapshot.target,
    // Unverified for DB cluster snapshots; sent as a DBSnapshot's is (the copy's time), the case
    // that would make a copy of old data look fresh. DBClusterSnapshot has no
    // OriginalSnapshotCreateTime.
    ...createdTimes(snapshot, now, { SnapshotCreateTime: snapshot.copiedAt ?? snapshot.createdAt }),
    Engine: snapshot.engine,
    EngineMode: 'provisioned',
    AllocatedStorage: 0,
    Status: snapshotStatus(snapshot, now),
    Port: 5432,
    VpcId: 'vpc-0a1b2c3d4e5f67890',
    ClusterCreateTime: cluster?.createdAt.at(now),
    MasterUsername: 'certctl',
    EngineVersion: snapshot.engineVersion,
    LicenseModel: 'postgresql-license',
    SnapshotType: 'manual',
    PercentProgress: progress(snapshot, now),
    StorageEncrypted: snapshot.encrypted,
    KmsKeyId: snapshot.kmsKeyId,
    DBClusterSnapshotArn: snapshot.arn,
    SourceDBClusterSnapshotArn: snapshot.copiedFrom,
    IAMDatabaseAuthenticationEnabled: false,
    TagList: tagXml(snapshot.tags),
    DbClusterResourceId: snapshot.resourceIdSent === false ? undefined : snapshot.sourceResourceId,
  };
}
