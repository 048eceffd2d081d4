/**
 * A small snapshot fleet for the snapshot, prune and readiness tests: two regions, three targets
 * (one busy at first, one whose snapshots fail), real SDK clients against the simulator.
 */
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { type Policy, type PolicyInput, parsePolicy } from '../../functions/core/policy.ts';
import type { SnapshotJobDependencies } from '../../functions/jobs/snapshot.ts';
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

/** Fast polling so tests take a fraction of a second. */
export function fastPolicy(extra: PolicyInput = {}): Policy {
  return parsePolicy({
    aws: { regions: ['eu-west-1', 'us-east-1'] },
    pitr: { minPitrDays: 7 },
    ...extra,
    snapshots: {
      pollInitialSeconds: 0.05,
      pollMaxSeconds: 0.1,
      waitMinutes: 0.1,
      ...(extra.snapshots ?? {}),
    },
  });
}

export interface SnapshotHarness {
  readonly sim: Sim;
  readonly rds: RdsService;
  deps(policy?: Policy): SnapshotJobDependencies;
  close(): Promise<void>;
}

export async function startSnapshotHarness(
  scenario: ScenarioInput = snapshotScenario(),
): Promise<SnapshotHarness> {
  const sim = await startSim({ scenario });
  const factories: AwsClientFactory[] = [];
  return {
    sim,
    rds: sim.service<RdsService>('rds'),
    deps(policy = fastPolicy()) {
      const factory = new AwsClientFactory({
        maxAttempts: 3,
        credentials: simCredentials(),
        endpoint: sim.endpoint,
      });
      factories.push(factory);
      return { policy, providers: ['aws'], aws: { factory, homeRegion: 'eu-west-1' } };
    },
    async close() {
      for (const factory of factories) factory.destroy();
      await sim.close();
    },
  };
}
