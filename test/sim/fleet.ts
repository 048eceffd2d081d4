/**
 * Generates large RDS fleets for benchmarks and load tests: thousands of instances and clusters
 * spread over many regions, with a realistic mix of healthy and failing backup settings and the
 * tags a certctl deployment carries. Deterministic for a given seed; nothing is written to disk.
 */
import { DEFAULT_ACCOUNT_ID } from './accounts.ts';
import type { Scenario } from './scenario.ts';
import type { RdsClusterInput, RdsInstanceInput, RdsSectionInput } from './services/rds.ts';

/** Real region names, in the order fleets fill them. */
export const FLEET_REGIONS = [
  'us-east-1',
  'eu-west-1',
  'us-east-2',
  'us-west-2',
  'eu-central-1',
  'eu-west-2',
  'ap-southeast-1',
  'ap-northeast-1',
  'us-west-1',
  'eu-west-3',
  'eu-north-1',
  'ap-southeast-2',
  'ap-northeast-2',
  'ap-south-1',
  'ca-central-1',
  'sa-east-1',
  'ap-northeast-3',
  'eu-south-1',
  'me-central-1',
  'af-south-1',
] as const;

export interface FleetOptions {
  /** Standalone DB instances (read replicas included; Aurora members not). */
  readonly instances: number;
  readonly clusters: number;
  /** How many of FLEET_REGIONS to spread over (at most FLEET_REGIONS.length). */
  readonly regions: number;
  readonly accountId?: string;
  readonly seed?: number;
  /** Member instances per Aurora cluster (they are extra DB instances); default 0. */
  readonly membersPerCluster?: number;
}

/** The backup-guard tag every target carries, and the share of databases without it. */
const TARGET_TAG = 'certctl:backup-guard';

/** mulberry32: a small, fast PRNG whose sequence depends only on the seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks a key by weight. */
function weighted<K extends string>(random: () => number, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as [K, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [key, weight] of entries) {
    roll -= weight;
    if (roll < 0) return key;
  }
  return entries[entries.length - 1]?.[0] as K;
}

const INSTANCE_PROFILES = {
  healthy: 60,
  shortRetention: 10,
  backupsOff: 5,
  staleLag: 5,
  windowFilling: 5,
  noDeletionProtection: 5,
  replica: 5,
  untagged: 5,
} as const;

const CLUSTER_PROFILES = {
  healthy: 70,
  shortRetention: 10,
  windowFilling: 10,
  staleLag: 5,
  untagged: 5,
} as const;

const ENVIRONMENTS = ['prod', 'prod', 'prod', 'staging', 'dev'] as const;
const COMPONENTS = ['db', 'ocsp-db', 'ra-db', 'audit-db', 'db'] as const;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function tagsFor(
  random: () => number,
  env: string,
  index: number,
  targeted: boolean,
): Record<string, string> {
  const tags: Record<string, string> = {
    app: targeted ? 'certctl' : pick(random, ['billing', 'analytics', 'crm']),
    env,
    team: targeted ? 'pki' : 'data',
    'cost-center': `cc-${1000 + (index % 40)}`,
  };
  if (targeted) tags[TARGET_TAG] = 'enabled';
  return tags;
}

/** A scenario with one account, `regions` regions and the requested RDS fleet. */
export function generateFleet(options: FleetOptions): Scenario {
  if (options.regions < 1 || options.regions > FLEET_REGIONS.length) {
    throw new RangeError(`regions must be between 1 and ${FLEET_REGIONS.length}, not ${options.regions}`);
  }
  const random = seededRandom(options.seed ?? 1);
  const account = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const regions = FLEET_REGIONS.slice(0, options.regions);
  const instances: RdsInstanceInput[] = [];
  /** Per region, instances a replica can follow (backups on, not replicas themselves). */
  const replicaSources = new Map<string, string[]>();

  for (let index = 0; index < options.instances; index += 1) {
    const region = regions[index % regions.length] as string;
    const env = pick(random, ENVIRONMENTS);
    const id = `certctl-${env}-${pick(random, COMPONENTS)}-${String(index).padStart(5, '0')}`;
    let profile = weighted(random, INSTANCE_PROFILES);
    const sources = replicaSources.get(region) ?? [];
    if (profile === 'replica' && sources.length === 0) profile = 'healthy';
    const instance: RdsInstanceInput = {
      id,
      account,
      region,
      engine: 'postgres',
      engineVersion: pick(random, ['14.13', '15.8', '16.4']),
      createdAt: `-${60 + Math.floor(random() * 900)}d`,
      tags: tagsFor(random, env, index, profile !== 'untagged'),
    };
    switch (profile) {
      case 'healthy':
      case 'noDeletionProtection':
      case 'untagged':
        Object.assign(instance, {
          backupRetentionPeriod: 35,
          earliestRestorableTime: '-35d',
          latestRestorableTime: `-${1 + Math.floor(random() * 5)}m`,
          deletionProtection: profile !== 'noDeletionProtection',
        });
        break;
      case 'shortRetention':
        Object.assign(instance, { backupRetentionPeriod: pick(random, [1, 7, 14]) });
        break;
      case 'backupsOff':
        Object.assign(instance, { backupRetentionPeriod: 0 });
        break;
      case 'staleLag':
        Object.assign(instance, {
          backupRetentionPeriod: 35,
          earliestRestorableTime: '-35d',
          latestRestorableTime: `-${2 + Math.floor(random() * 5)}h`,
        });
        break;
      case 'windowFilling':
        Object.assign(instance, {
          backupRetentionPeriod: 35,
          earliestRestorableTime: `-${5 + Math.floor(random() * 20)}d`,
        });
        break;
      case 'replica':
        Object.assign(instance, { readReplicaSource: pick(random, sources) });
        break;
    }
    if (profile === 'healthy' || profile === 'noDeletionProtection') {
      sources.push(id);
      replicaSources.set(region, sources);
    }
    instances.push(instance);
  }

  const clusters: RdsClusterInput[] = [];
  const members = options.membersPerCluster ?? 0;
  for (let index = 0; index < options.clusters; index += 1) {
    const region = regions[index % regions.length] as string;
    const env = pick(random, ENVIRONMENTS);
    const id = `certctl-${env}-aurora-${String(index).padStart(5, '0')}`;
    const profile = weighted(random, CLUSTER_PROFILES);
    const cluster: RdsClusterInput = {
      id,
      account,
      region,
      engine: 'aurora-postgresql',
      engineVersion: pick(random, ['15.8', '16.4']),
      createdAt: `-${60 + Math.floor(random() * 900)}d`,
      backupRetentionPeriod: 35,
      members: Array.from({ length: members }, (_, member) => ({
        id: `${id}-${member + 1}`,
        writer: member === 0,
      })),
      tags: tagsFor(random, env, index, profile !== 'untagged'),
    };
    switch (profile) {
      case 'shortRetention':
        Object.assign(cluster, { backupRetentionPeriod: pick(random, [1, 7, 14]) });
        break;
      case 'windowFilling':
        Object.assign(cluster, {
          backupRetentionPeriod: 30,
          earliestRestorableTime: `-${5 + Math.floor(random() * 20)}d`,
        });
        break;
      case 'staleLag':
        Object.assign(cluster, { latestRestorableTime: `-${2 + Math.floor(random() * 5)}h` });
        break;
      default:
        Object.assign(cluster, { earliestRestorableTime: '-35d' });
    }
    clusters.push(cluster);
  }

  const rds: RdsSectionInput = { instances, clusters };
  return {
    description: `generated fleet: ${options.instances} instances, ${options.clusters} clusters, ${options.regions} regions`,
    accounts: [{ id: account, assumableRoles: [], webIdentityTrusts: [] }],
    regions: regions.map((name) => ({ name, optStatus: 'ENABLED_BY_DEFAULT' as const })),
    services: { rds },
  };
}
