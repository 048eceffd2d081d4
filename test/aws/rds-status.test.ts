/**
 * The database status as DescribeDBInstances (`DBInstanceStatus`) and DescribeDBClusters (`Status`)
 * send it, read through the adapter into pitr.window: a database being deleted or cut off from its
 * KMS key fails the window it still reports; a transient status keeps it passing.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectRdsPitrFacts } from '../../functions/aws/rds.ts';
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
            ],
            clusters: [
              {
                id: 'certctl-aurora-going',
                region: REGION,
                status: 'deleting',
                backupRetentionPeriod: 35,
                members: [{ id: 'certctl-aurora-going-1', writer: true }],
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

  it('fails the window of databases being deleted or without their key, and passes one backing up', async () => {
    // Act
    const facts = await collectRdsPitrFacts(client, { account: DEFAULT_ACCOUNT_ID, region: REGION }, policy);
    const verdict = (id: string) => {
      const fact = facts.find((candidate) => candidate.resource.id === id);
      return fact && pitrWindowCheck.evaluate(fact, { policy, now: NOW });
    };

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
