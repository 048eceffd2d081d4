/**
 * A key secret the inventory names by its replica: the copy elsewhere it counts on is its primary,
 * whose own KMS key no other finding judges (the primary is not the inventory's resource). A primary
 * in sync but under a key that cannot decrypt it is no copy to restore from.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { awsKeysAudit } from './support.ts';

const ACCOUNT = '111111111111';
const PRIMARY_KEY = 'cccccccc-1111-2222-3333-444444444444';
const REPLICA_KEY = 'dddddddd-1111-2222-3333-444444444444';

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
              name: 'certctl/ca',
              region: 'us-east-1',
              kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${PRIMARY_KEY}`,
              replicas: [
                { region: 'eu-west-1', kmsKeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${REPLICA_KEY}` },
              ],
              value: 'x',
            },
          ],
        },
        kms: {
          keys: [
            { id: PRIMARY_KEY, region: 'us-east-1', state: 'PendingDeletion', deletionDate: '+7d' },
            { id: REPLICA_KEY, region: 'eu-west-1' },
          ],
        },
      },
    },
  });
});

afterAll(async () => {
  await sim.close();
});

describe("a key secret named by its replica, whose primary's key is pending deletion", () => {
  it('fails keys.replicated: the only copy in another region cannot be decrypted', async () => {
    // Prepare
    const policy = parsePolicy({
      aws: { regions: ['eu-west-1'] },
      keys: {
        preset: 'none',
        items: {
          'ca-backup': {
            kind: 'opaque',
            secret: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:certctl/ca`,
          },
        },
      },
    });
    // Act
    const report = await awsKeysAudit(sim.endpoint, policy);
    // Assess: the replica itself is in sync and under a usable key; its primary is not restorable.
    const status = (checkId: string) => report.findings.find((finding) => finding.checkId === checkId);
    expect(status('keys.not-deleting')?.status).toBe('PASSED');
    const replicated = status('keys.replicated');
    expect(replicated?.status).toBe('FAILED');
    expect(replicated?.description).toContain(
      `the primary in us-east-1 (its KMS key arn:aws:kms:us-east-1:${ACCOUNT}:key/${PRIMARY_KEY} is PendingDeletion)`,
    );
    expect(replicated?.remediation.text).toContain('aws kms cancel-key-deletion');
  });
});
