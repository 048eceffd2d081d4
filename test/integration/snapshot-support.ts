/**
 * A small snapshot fleet for the snapshot, prune and readiness tests: two regions, three targets
 * (one busy at first, one whose snapshots fail), real SDK clients against the simulator.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { expect } from 'vitest';
import { awsSnapshotCloud } from '../../functions/actions/snapshot/aws.ts';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { awsCollectors } from '../../functions/aws/collectors.ts';
import { type Policy, type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import type { ReadinessDependencies } from '../../functions/jobs/readiness.ts';
import type { SnapshotJobDependencies, SnapshotJobResult } from '../../functions/jobs/snapshot.ts';
import type { LocalDynamo } from '../jobs/dynalite.ts';
import { simCredentials } from '../sim/accounts.ts';
import type { ScenarioInput } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';
import type { RdsService } from '../sim/services/rds.ts';
import type { RdsSnapshotsSectionInput } from '../sim/services/rds-snapshots.ts';

export const TAG = { 'certctl:backup-guard': 'enabled' };

export function snapshotScenario(snapshots: RdsSnapshotsSectionInput = {}): ScenarioInput {
  return {
    regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
    services: {
      rds: {
        instances: [
          { id: 'certctl-prod-db', region: 'eu-west-1', tags: TAG, backupRetentionPeriod: 14 },
          { id: 'certctl-busy-db', region: 'eu-west-1', tags: TAG },
          { id: 'certctl-broken-db', region: 'us-east-1', tags: TAG },
          { id: 'unrelated-db', region: 'us-east-1' },
        ],
        clusters: [
          {
            id: 'certctl-aurora',
            region: 'eu-west-1',
            tags: TAG,
            members: [{ id: 'certctl-aurora-1', writer: true }],
          },
        ],
        snapshots: {
          defaultDurationMs: 150,
          targets: [
            { id: 'certctl-busy-db', region: 'eu-west-1', busy: { status: 'backing-up', forMs: 1200 } },
            { id: 'certctl-broken-db', region: 'us-east-1', failSnapshots: true },
          ],
          ...snapshots,
        },
      },
    },
  };
}

/** The day (UTC, YYYY-MM-DD) `days` after today: a waiver's last day within the 90 days a policy allows. */
export const daysFromToday = (days: number): string =>
  new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** The waiver of the test fleets, which keep no key inventory: readiness judges PITR and snapshots. */
export const NO_KEYS_WAIVER = {
  'audit:keys': { reason: 'the test fleet keeps no key material', expires: daysFromToday(60) },
} as const;

/** Fast polling so tests take a fraction of a second; `audit:keys` waived ({@link NO_KEYS_WAIVER}). */
export function fastPolicy(extra: PolicyInput = {}): Policy {
  return parsePolicy({
    aws: { regions: ['eu-west-1', 'us-east-1'] },
    pitr: { minPitrDays: 7 },
    ...extra,
    snapshots: {
      pollInitialSeconds: 0.05,
      pollMaxSeconds: 0.1,
      waitMinutes: 0.1,
      readinessWaivers: NO_KEYS_WAIVER,
      ...(extra.snapshots ?? {}),
    },
  });
}

export interface SnapshotHarness {
  readonly sim: Sim;
  readonly rds: RdsService;
  /**
   * What the snapshot, prune and maintenance jobs run with: the real RDS client, AWS only; `regions`
   * narrows the run as `--region` does.
   */
  deps(policy?: Policy, regions?: readonly string[]): SnapshotJobDependencies;
  /** What readiness runs with: the audit's collectors and the same snapshot cloud. */
  readinessDeps(policy?: Policy): ReadinessDependencies;
  close(): Promise<void>;
}

export async function startSnapshotHarness(
  scenario: ScenarioInput = snapshotScenario(),
  options: { readonly clock?: () => Date } = {},
): Promise<SnapshotHarness> {
  const sim = await startSim({ scenario, ...options });
  const factories: AwsClientFactory[] = [];
  const factory = (): AwsClientFactory => {
    const made = new AwsClientFactory({
      maxAttempts: 3,
      credentials: simCredentials(),
      endpoint: sim.endpoint,
    });
    factories.push(made);
    return made;
  };
  const homeRegion = 'eu-west-1';
  return {
    sim,
    rds: sim.service<RdsService>('rds'),
    deps(policy = fastPolicy(), regions) {
      const narrowed = regions ? { regions: [...regions] } : {};
      return { policy, clouds: [awsSnapshotCloud({ policy, factory: factory(), homeRegion, ...narrowed })] };
    },
    readinessDeps(policy = fastPolicy()) {
      const made = factory();
      return {
        policy,
        aws: { factory: made, collectors: awsCollectors, homeRegion },
        clouds: [awsSnapshotCloud({ policy, factory: made, homeRegion })],
      };
    },
    async close() {
      for (const factory of factories) factory.destroy();
      await sim.close();
    },
  };
}

/**
 * What the snapshot and readiness Lambdas' plain functions take: the harness's AWS clients, a local
 * DynamoDB for idempotency, a silent logger and `metrics`.
 */
export function snapshotLambdaDeps<M>(
  harness: SnapshotHarness,
  dynamo: LocalDynamo,
  policy: Policy,
  metrics: M,
) {
  const { aws } = harness.readinessDeps(policy);
  return {
    policy,
    factory: aws?.factory as NonNullable<typeof aws>['factory'],
    dynamo: dynamo.client,
    tableName: dynamo.tableName,
    logger: new Logger({ logLevel: 'SILENT' }),
    metrics,
    homeRegion: 'eu-west-1',
  };
}

/**
 * `later` took nothing of its own for its one target: its answer is `outcome` for the snapshot
 * `earlier` made (the same request's crashed run, or another request's), with no create attempt.
 * `creates`: the creates the cloud counted in all, one.
 */
export function expectAdopted(
  creates: number,
  later: SnapshotJobResult,
  earlier: SnapshotJobResult,
  outcome: 'creating' | 'available',
): void {
  expect(creates).toBe(1);
  expect(later.results).toHaveLength(1);
  expect(later.results[0]).toMatchObject({
    outcome,
    snapshotId: earlier.results[0]?.snapshotId,
    attempts: 0,
  });
}

/** Metrics as the handler records them. */
export function recordingMetrics() {
  const recorded: Record<string, number> = {};
  return {
    recorded,
    metrics: {
      addMetric: (name: string, _unit: unknown, value: number) => {
        recorded[name] = value;
      },
    },
  };
}
