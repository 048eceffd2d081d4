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
import { loadScenario } from '../sim/scenario.ts';
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
              // 35 days kept at the source; the replica keeps 31, a day above the 30-day target.
              {
                id: 'replicated-db',
                region: SOURCE,
                backupRetentionPeriod: 35,
                backupReplications: [{ region: DESTINATION, backupRetentionPeriod: 31 }],
                tags: TAGS,
              },
              // A replication started with 7 days, long ago: current, but never 30 days.
              {
                id: 'short-replica-db',
                region: SOURCE,
                backupRetentionPeriod: 35,
                backupReplications: [{ region: DESTINATION, backupRetentionPeriod: 7 }],
                tags: TAGS,
              },
              // A replication of 31 days started yesterday: its window is still filling.
              {
                id: 'new-replica-db',
                region: SOURCE,
                backupRetentionPeriod: 35,
                backupReplications: [{ region: DESTINATION, backupRetentionPeriod: 31, startedAt: '-1d' }],
                tags: TAGS,
              },
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

  it('passes when the destination lists the replicated backup replicating with a restore window reaching back the target', async () => {
    // Act
    const outcomes = await judge();
    // Assess
    expect(outcomes.get('replicated-db')).toMatchObject({
      status: 'PASSED',
      observed: { crossRegionBackup: true, replicatedTo: DESTINATION },
      description: expect.stringContaining(`in ${DESTINATION}: Status replicating, restorable from`),
    });
    expect(outcomes.get('replicated-db')?.description).toContain('(BackupRetentionPeriod 31 days)');
    expect(outcomes.get('local-db')?.status).toBe('FAILED');
  });

  it('fails, not passes, a current replica whose own retention of 7 days the destination reports', async () => {
    // Act
    const outcomes = await judge();
    // Assess
    expect(outcomes.get('short-replica-db')).toMatchObject({
      status: 'FAILED',
      observed: { crossRegionBackup: false, replicatedTo: DESTINATION },
      description: expect.stringContaining(
        'keeps 7 days (BackupRetentionPeriod), shorter than the 30-day target',
      ),
      remediationText: expect.stringContaining(
        `aws rds start-db-instance-automated-backups-replication --region ${DESTINATION} --source-db-instance-arn arn:aws:rds:${SOURCE}:${DEFAULT_ACCOUNT_ID}:db:short-replica-db --backup-retention-period 31`,
      ),
    });
    // The simulated instances are encrypted (the default): the restart names the key of the
    // destination the copy is encrypted with, as its DescribeDBInstanceAutomatedBackups sent it.
    expect(outcomes.get('short-replica-db')?.remediationText).toMatch(
      new RegExp(
        `--backup-retention-period 31 --kms-key-id arn:aws:kms:${DESTINATION}:${DEFAULT_ACCOUNT_ID}:key/\\S+\``,
      ),
    );
  });

  it('warns, not passes, a replication started yesterday whose window is still filling', async () => {
    // Act
    const outcomes = await judge();
    // Assess
    expect(outcomes.get('new-replica-db')).toMatchObject({
      status: 'WARNING',
      description: expect.stringContaining('1.0 of 30 days accrued'),
    });
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

describe('the demo fleet under a policy that requires cross-Region backups', () => {
  it('passes the demo instance that replicates to us-east-1: its copy keeps the source’s 35 days and reaches back 35', async () => {
    // Prepare: demo-aws.yaml replicates certctl-prod-db (eu-west-1, 35 days) to us-east-1.
    const sim = await startSim({
      scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml'),
      clock: () => NOW,
    });
    const factory = new AwsClientFactory({
      maxAttempts: 1,
      credentials: simCredentials(),
      endpoint: sim.endpoint,
    });
    try {
      const policy = parsePolicy({
        aws: { regions: ['eu-west-1'] },
        pitr: { requireCrossRegionBackup: true },
      });
      // Act
      const facts = (await rdsPitrCollector({
        factory,
        account: { accountId: DEFAULT_ACCOUNT_ID },
        region: 'eu-west-1',
        policy,
        now: () => NOW,
      })) as PitrFact[];
      const fact = facts.find((candidate) => candidate.resource.id === 'certctl-prod-db');
      // Assess
      expect(fact && pitrCrossRegionCheck.evaluate(fact, { policy, now: NOW })).toMatchObject({
        status: 'PASSED',
        observed: { crossRegionBackup: true, replicatedTo: 'us-east-1' },
        description: expect.stringContaining('at least the 30 days required (BackupRetentionPeriod 35 days)'),
      });
    } finally {
      factory.destroy();
      await sim.close();
    }
  });
});
