/**
 * The KMS key of each Secrets Manager replica is described in the replica's own region: a replica's
 * `KmsKeyId` may be an alias or key id (not an ARN), which names a different key in each region.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { awsKeysAudit } from './support.ts';

const ACCOUNT = '111111111111';
const EU_KEY = 'aaaaaaaa-1111-2222-3333-444444444444';
const US_KEY = 'bbbbbbbb-1111-2222-3333-444444444444';
const ALIAS = 'alias/certctl-backup';

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
              region: 'eu-west-1',
              kmsKeyId: ALIAS,
              replicas: [{ region: 'us-east-1', kmsKeyId: ALIAS }],
              value: 'x',
            },
          ],
        },
        kms: {
          keys: [
            { id: EU_KEY, region: 'eu-west-1', aliases: [ALIAS] },
            // The same alias in the replica's region names another key, which is being deleted.
            {
              id: US_KEY,
              region: 'us-east-1',
              aliases: [ALIAS],
              state: 'PendingDeletion',
              deletionDate: '+7d',
            },
          ],
        },
      },
    },
  });
});

afterAll(async () => {
  await sim.close();
});

async function audit(): Promise<AuditReport> {
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
  return awsKeysAudit(sim.endpoint, policy);
}

describe('replica KMS keys', () => {
  it('fails keys.not-deleting when the replica-region key behind the same alias is pending deletion', async () => {
    // Act
    const report = await audit();
    // Assess
    const finding = report.findings.find((f) => f.checkId === 'keys.not-deleting');
    expect(finding?.status).toBe('FAILED');
    expect(finding?.observed.keyState).toBe('PendingDeletion');
  });

  it('names the replica that key may leave undecryptable, not the copy in the secret’s region', async () => {
    // Act
    const report = await audit();
    // Assess: the primary's key (the same alias in eu-west-1) is Enabled.
    const finding = report.findings.find((f) => f.checkId === 'keys.not-deleting');
    expect(finding?.description).toMatch(
      // The alias may have pointed elsewhere when the replica's version was written: not stated lost.
      /^The KMS key alias\/certctl-backup \(us-east-1, pointing to arn:aws:kms:us-east-1:\d+:key\/[^ ]+ now\) of the replica in us-east-1 of the secret certctl\/ca \(ca-backup\) is PendingDeletion \(deletion on [^)]+\): that replica cannot take a new version under it, and cannot be decrypted if its current version was written while the alias pointed to that key \(the alias may have been moved since\)\.$/,
    );
    expect(finding?.observed.replicaRegion).toBe('us-east-1');
    expect(finding?.remediation.text).toContain(
      // CancelKeyDeletion takes the key id or ARN, not an alias: the key the alias points to.
      `aws kms cancel-key-deletion --key-id arn:aws:kms:us-east-1:${ACCOUNT}:key/${US_KEY} --region us-east-1`,
    );
  });
});
