/**
 * The database status as DescribeDBInstances (`DBInstanceStatus`) and DescribeDBClusters (`Status`)
 * send it, read through the adapter into pitr.window: a database being deleted or cut off from its
 * KMS key fails the window it still reports; a transient status keeps it passing; a database still
 * being created, with no restore point yet, is new (NOT_AVAILABLE) whether instance or Aurora cluster.
 * Also the windows RDS really reports: an RDS DB instance whose retention equals the target keeps a
 * window that starts at its oldest retained daily snapshot (between R - 1 and R days back), an Aurora
 * cluster keeps the full retention.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectRdsPitrFacts } from '../../functions/aws/rds.ts';
import { pitrLagCheck } from '../../functions/checks/pitr/lag.ts';
import { pitrWindowCheck } from '../../functions/checks/pitr/window.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const REGION = 'eu-west-1';
const policy = parsePolicy({ targets: { all: true }, aws: { regions: [REGION] } });
const FULL = { backupRetentionPeriod: 35, earliestRestorableTime: '-35d' } as const;

describe('RDS database status through the wire', () => {
  let sim: Sim;
  let client: RDSClient;

  beforeEach(async () => {
    sim = await startSim({
      scenario: {
        regions: [{ name: REGION }],
        services: {
          rds: {
            instances: [
              {
                id: 'certctl-key-lost',
                region: REGION,
                status: 'inaccessible-encryption-credentials-recoverable',
                ...FULL,
              },
              { id: 'certctl-going', region: REGION, status: 'deleting', ...FULL },
              { id: 'certctl-busy', region: REGION, status: 'backing-up', ...FULL },
              // Daily snapshot at 03:00 UTC, 30 kept: the oldest is from 29 days and 9 hours ago.
              {
                id: 'certctl-db-30',
                region: REGION,
                backupRetentionPeriod: 30,
                preferredBackupWindow: '03:00-03:30',
              },
              // Just created: DescribeDBInstances sends no InstanceCreateTime and no restore time yet.
              {
                id: 'certctl-new',
                region: REGION,
                status: 'creating',
                createdAt: '-20m',
                backupRetentionPeriod: 30,
              },
            ],
            clusters: [
              {
                id: 'certctl-aurora-going',
                region: REGION,
                status: 'deleting',
                backupRetentionPeriod: 35,
                members: [{ id: 'certctl-aurora-going-1', writer: true }],
              },
              {
                id: 'certctl-aurora-30',
                region: REGION,
                backupRetentionPeriod: 30,
                members: [{ id: 'certctl-aurora-30-1', writer: true }],
              },
              {
                id: 'certctl-new-aurora',
                region: REGION,
                status: 'creating',
                createdAt: '-20m',
                backupRetentionPeriod: 30,
                earliestRestorableTime: null,
                latestRestorableTime: null,
              },
            ],
          },
        },
      },
      clock: () => NOW,
    });
    client = new RDSClient({
      region: REGION,
      endpoint: sim.endpoint,
      credentials: simCredentials(),
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await sim.close();
  });

  async function verdicts(check = pitrWindowCheck) {
    const facts = await collectRdsPitrFacts(client, { account: DEFAULT_ACCOUNT_ID, region: REGION }, policy);
    return (id: string) => {
      const fact = facts.find((candidate) => candidate.resource.id === id);
      return fact && check.evaluate(fact, { policy, now: NOW });
    };
  }

  it('warns of the steady state, promising no completion date, when an instance keeps 30 days for a 30-day target', async () => {
    const verdict = await verdicts();
    const outcome = verdict('certctl-db-30');
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('29.4 days');
    expect(outcome?.description).toContain('keeps it between 29 and 30 days');
    expect(outcome?.observed).not.toHaveProperty('windowCompleteAt');
    expect(verdict('certctl-aurora-30')?.status).toBe('PASSED');
  });

  it('judges a new RDS instance and a new Aurora cluster alike: not available, saying they are new', async () => {
    for (const check of [pitrWindowCheck, pitrLagCheck]) {
      const verdict = await verdicts(check);
      for (const id of ['certctl-new', 'certctl-new-aurora']) {
        const outcome = verdict(id);
        expect(outcome?.status, `${check.metadata.id} ${id}`).toBe('NOT_AVAILABLE');
        expect(outcome?.description).toContain('is new (status `creating`');
      }
    }
  });

  it('fails the window of databases being deleted or without their key, and passes one backing up', async () => {
    // Act
    const verdict = await verdicts();

    // Assess
    expect(verdict('certctl-key-lost')).toMatchObject({
      status: 'FAILED',
      observed: { status: 'inaccessible-encryption-credentials-recoverable' },
    });
    expect(verdict('certctl-key-lost')?.remediationText).toContain(
      `aws rds start-db-instance --db-instance-identifier certctl-key-lost --region ${REGION}`,
    );
    expect(verdict('certctl-going')).toMatchObject({ status: 'FAILED', observed: { status: 'deleting' } });
    expect(verdict('certctl-aurora-going')).toMatchObject({
      status: 'FAILED',
      observed: { status: 'deleting' },
    });
    expect(verdict('certctl-busy')?.status).toBe('PASSED');
  });
});
