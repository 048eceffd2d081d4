/**
 * The restore windows RDS really reports, read through the simulator and the adapter into pitr.window
 * and pitr.lag: an RDS DB instance whose retention equals the target keeps a window that starts at
 * its oldest retained daily snapshot (between R - 1 and R days back), an Aurora cluster keeps the
 * full retention, and a database just created has no restore point yet.
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
const policy = parsePolicy({ targets: { all: true }, aws: { regions: [REGION] }, pitr: { minPitrDays: 30 } });

describe('RDS restore windows as RDS reports them', () => {
  let sim: Sim;
  let client: RDSClient;

  beforeEach(async () => {
    sim = await startSim({
      scenario: {
        regions: [{ name: REGION }],
        services: {
          rds: {
            instances: [
              // Daily snapshot at 03:00 UTC, 30 kept: the oldest is from 29 days and 9 hours ago.
              {
                id: 'certctl-db',
                region: REGION,
                backupRetentionPeriod: 30,
                preferredBackupWindow: '03:00-03:30',
                earliestRestorableTime: '2026-02-14T03:00:00Z',
              },
            ],
            clusters: [
              {
                id: 'certctl-aurora',
                region: REGION,
                backupRetentionPeriod: 30,
                members: [{ id: 'certctl-aurora-1', writer: true }],
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

  async function verdict(id: string) {
    const facts = await collectRdsPitrFacts(client, { account: DEFAULT_ACCOUNT_ID, region: REGION }, policy);
    const fact = facts.find((candidate) => candidate.resource.id === id);
    return fact && pitrWindowCheck.evaluate(fact, { policy, now: NOW });
  }

  it('warns of the steady state, promising no completion date, when an instance keeps 30 days for a 30-day target', async () => {
    const outcome = await verdict('certctl-db');
    expect(outcome?.status).toBe('WARNING');
    expect(outcome?.description).toContain('29.4 days');
    expect(outcome?.description).toContain('keeps it between 29 and 30 days');
    expect(outcome?.observed).not.toHaveProperty('windowCompleteAt');
  });

  it('passes an Aurora cluster whose continuous window is its 30-day retention', async () => {
    expect((await verdict('certctl-aurora'))?.status).toBe('PASSED');
  });
});
