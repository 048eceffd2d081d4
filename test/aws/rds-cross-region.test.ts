/**
 * `pitr.cross-region` for an RDS instance against the simulator: the source lists the replication,
 * and the destination Region's own DescribeDBInstanceAutomatedBackups decides.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../functions/aws/clients.ts';
import { rdsPitrCollector } from '../../functions/aws/rds.ts';
import { pitrCrossRegionCheck } from '../../functions/checks/pitr/cross-region.ts';
import type { PitrFact } from '../../functions/core/facts.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const SOURCE = 'us-east-1';
const DESTINATION = 'us-west-2';
const TAGS = { 'certctl:backup-guard': 'enabled' };

describe('an RDS instance that replicates its automated backups to another Region', () => {
  let sim: Sim;
  let factory: AwsClientFactory;

  beforeEach(async () => {
    sim = await startSim({
      scenario: {
        regions: [{ name: SOURCE }, { name: DESTINATION }],
        services: {
          rds: {
            instances: [
              { id: 'replicated-db', region: SOURCE, backupReplications: [DESTINATION], tags: TAGS },
              { id: 'local-db', region: SOURCE, tags: TAGS },
            ],
          },
        },
      },
      clock: () => NOW,
    });
    factory = new AwsClientFactory({ maxAttempts: 1, credentials: simCredentials(), endpoint: sim.endpoint });
  });

  afterEach(async () => {
    factory.destroy();
    await sim.close();
  });

  async function judge() {
    // The policy audits the source Region only: the destination is read for the replication alone.
    const policy = parsePolicy({ aws: { regions: [SOURCE] }, pitr: { requireCrossRegionBackup: true } });
    const facts = (await rdsPitrCollector({
      factory,
      account: { accountId: DEFAULT_ACCOUNT_ID },
      region: SOURCE,
      policy,
      now: () => NOW,
    })) as PitrFact[];
    return new Map(
      facts.map((fact) => [fact.resource.id, pitrCrossRegionCheck.evaluate(fact, { policy, now: NOW })]),
    );
  }

  it('passes when the destination lists the replicated backup replicating with a restore window', async () => {
    // Act
    const outcomes = await judge();
    // Assess
    expect(outcomes.get('replicated-db')).toMatchObject({
      status: 'PASSED',
      observed: { crossRegionBackup: true, replicatedTo: DESTINATION },
      description: expect.stringContaining(`in ${DESTINATION}: Status replicating, restorable from`),
    });
    expect(outcomes.get('local-db')?.status).toBe('FAILED');
  });

  it('is not available, and the scope still answers, when the destination Region cannot be read', async () => {
    // Prepare
    sim.setFaults({ downRegions: [DESTINATION] });
    // Act
    const outcomes = await judge();
    // Assess
    expect(outcomes.get('replicated-db')).toMatchObject({
      status: 'NOT_AVAILABLE',
      observed: { crossRegionBackup: null, replicatedTo: DESTINATION },
      description: expect.stringContaining(
        `RDS DescribeDBInstanceAutomatedBackups failed for account ${DEFAULT_ACCOUNT_ID} in ${DESTINATION}`,
      ),
    });
    expect(outcomes.get('local-db')?.status).toBe('FAILED');
  });
});
