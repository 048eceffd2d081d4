/**
 * A DescribeSecret answer whose `ReplicationStatus` lists the same Region twice: a secret has one
 * replica per Region, so the two entries cannot both be that replica's, and neither entry's status
 * or key proves the copy there. Here the second entry names a key pending deletion: a first-match
 * read of the entries judged the replica by the first entry's usable key and passed keys.replicated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { awsKeysAudit } from './support.ts';

const ACCOUNT = '111111111111';
const EU_KEY = 'aaaaaaaa-1111-2222-3333-444444444444';
const US_KEY = 'bbbbbbbb-1111-2222-3333-444444444444';
const US_PENDING = 'cccccccc-1111-2222-3333-444444444444';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    scenario: {
      accounts: [{ id: ACCOUNT }],
      regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
      services: {
        secretsManager: {
          secrets: [
            {
              name: 'certctl/twice',
              region: 'eu-west-1',
              kmsKeyId: EU_KEY,
              replicas: [
                { region: 'us-east-1', kmsKeyId: US_KEY },
                { region: 'us-east-1', kmsKeyId: US_PENDING },
              ],
              value: 'x',
            },
          ],
        },
        kms: {
          keys: [
            { id: EU_KEY, region: 'eu-west-1' },
            { id: US_KEY, region: 'us-east-1' },
            { id: US_PENDING, region: 'us-east-1', state: 'PendingDeletion', deletionDate: '+7d' },
          ],
        },
      },
    },
  });
});

afterAll(() => sim.close());

/** The audit of the secret named in `region`: the primary (eu-west-1) or its replica (us-east-1). */
function audit(region = 'eu-west-1'): Promise<AuditReport> {
  const secret = `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:certctl/twice`;
  return awsKeysAudit(
    sim.endpoint,
    parsePolicy({
      aws: { regions: [region] },
      keys: { preset: 'none', items: { twice: { kind: 'opaque', secret } } },
    }),
  );
}

describe('a replica Region listed twice in ReplicationStatus', () => {
  it('does not pass keys.replicated on the first entry, and says the Region was listed twice', async () => {
    // Act
    const report = await audit();
    const said = report.findings.find((f) => f.checkId === 'keys.replicated');

    // Assess
    expect(said?.status).toBe('NOT_AVAILABLE');
    expect(said?.description).toContain(
      'DescribeSecret listed the Region us-east-1 more than once in ReplicationStatus',
    );
    // Both entries' keys are still judged where each key is the subject.
    const notDeleting = report.findings.find((f) => f.checkId === 'keys.not-deleting');
    expect(notDeleting?.status).toBe('FAILED');
    expect(notDeleting?.description).toContain(US_PENDING);
  });

  it("does not judge the replica in that Region by the primary's first entry for it", async () => {
    // Act: the inventory names the replica; only its primary reports its status, twice.
    const said = (await audit('us-east-1')).findings.find((f) => f.checkId === 'keys.replicated');

    // Assess
    expect(said?.status).toBe('NOT_AVAILABLE');
    expect(said?.description).toContain('the primary lists us-east-1 more than once among its replicas');
  });
});
