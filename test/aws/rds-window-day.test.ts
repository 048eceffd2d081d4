/**
 * pitr.window over one day on the windows RDS really reports (the simulator's default): an RDS DB
 * instance restores from the oldest daily snapshot it keeps, so its window grows through the day and
 * drops by a day at each snapshot; an Aurora cluster keeps the full retention. Nothing changes during
 * the day, so no verdict may change with the time of day: a finding that passes before the daily
 * snapshot and warns after it would be resolved and reopened in Security Hub every day.
 */
import { RDSClient } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectRdsPitrFacts } from '../../functions/aws/rds.ts';
import { pitrWindowCheck } from '../../functions/checks/pitr/window.ts';
import type { CheckOutcome } from '../../functions/core/check.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { DEFAULT_ACCOUNT_ID, simCredentials } from '../sim/accounts.ts';
import { type Sim, startSim } from '../sim/server.ts';

const REGION = 'eu-west-1';
const MINUTE_MS = 60_000;
const policy = parsePolicy({ targets: { all: true }, aws: { regions: [REGION] } });

describe('pitr.window over a day of daily snapshots at 03:00 UTC', () => {
  let sim: Sim;
  let client: RDSClient;
  let now = new Date('2026-03-15T00:00:00.000Z');

  beforeAll(async () => {
    sim = await startSim({
      clock: () => now,
      scenario: {
        regions: [{ name: REGION }],
        services: {
          rds: {
            instances: [
              { id: 'certctl-db-30', region: REGION, backupRetentionPeriod: 30 },
              { id: 'certctl-db-31', region: REGION, backupRetentionPeriod: 31 },
              { id: 'certctl-db-7', region: REGION, backupRetentionPeriod: 7 },
            ],
            clusters: [{ id: 'certctl-aurora-30', region: REGION, backupRetentionPeriod: 30 }],
          },
        },
      },
    });
    client = new RDSClient({ region: REGION, endpoint: sim.endpoint, credentials: simCredentials() });
  });

  afterAll(async () => {
    client.destroy();
    await sim.close();
  });

  /** Each database's pitr.window outcome at every half hour of the day (the audit's clock too). */
  async function overTheDay(): Promise<Map<string, CheckOutcome[]>> {
    const outcomes = new Map<string, CheckOutcome[]>();
    for (let step = 0; step < 48; step += 1) {
      now = new Date(Date.parse('2026-03-15T00:00:00.000Z') + step * 30 * MINUTE_MS);
      const facts = await collectRdsPitrFacts(
        client,
        { account: DEFAULT_ACCOUNT_ID, region: REGION },
        policy,
      );
      for (const fact of facts) {
        const outcome = pitrWindowCheck.evaluate(fact, { policy, now });
        if (!outcome) continue;
        outcomes.set(fact.resource.id, [...(outcomes.get(fact.resource.id) ?? []), outcome]);
      }
    }
    return outcomes;
  }

  it('gives each database one verdict all day, the steady-state warning for a retention equal to the target', async () => {
    // Act
    const day = await overTheDay();
    const statuses = (id: string) => new Set(day.get(id)?.map((outcome) => outcome.status));
    // Assess
    expect(day.get('certctl-db-30')).toHaveLength(48);
    expect(statuses('certctl-db-30')).toEqual(new Set(['WARNING']));
    for (const outcome of day.get('certctl-db-30') ?? []) {
      expect(outcome.description).toContain('keeps it between 29 and 30 days');
      expect(outcome.observed).not.toHaveProperty('windowCompleteAt');
    }
    expect(statuses('certctl-db-31')).toEqual(new Set(['PASSED']));
    expect(statuses('certctl-aurora-30')).toEqual(new Set(['PASSED']));
    expect(statuses('certctl-db-7')).toEqual(new Set(['FAILED']));
    for (const outcome of day.get('certctl-db-7') ?? []) {
      expect(outcome.description).toContain('cannot grow past 7 days');
      expect(outcome.description).not.toContain('shrank');
    }
  });
});
