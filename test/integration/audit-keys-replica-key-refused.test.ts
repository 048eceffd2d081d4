/**
 * A Secrets Manager replica whose KMS key the audit role may not describe, end to end against the
 * simulator: keys.replicated cannot count the replica, and says for it what fixes the read, naming
 * the replica's Region and its key (an id, which names a key of the Region it is read in).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { awsKeysAudit } from './support.ts';

const ACCOUNT = '111111111111';
const EU_KEY = 'aaaaaaaa-1111-2222-3333-555555555555';
/** The replica's key, named by its id: a Deny statement in a service control policy refuses DescribeKey of it. */
const US_KEY = 'bbbbbbbb-1111-2222-3333-555555555555';

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
              kmsKeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${EU_KEY}`,
              replicas: [{ region: 'us-east-1', kmsKeyId: US_KEY }],
              value: 'x',
            },
          ],
        },
        kms: {
          keys: [
            { id: EU_KEY, region: 'eu-west-1' },
            { id: US_KEY, region: 'us-east-1', explicitDeny: 'service control policy' },
          ],
        },
      },
    },
  });
});

afterAll(async () => {
  await sim.close();
});

describe('a replica whose KMS key an explicit deny keeps the audit from describing', () => {
  it('is not counted, and keys.replicated says for that replica, its Region and key, what lifts the deny', async () => {
    // Act
    const report = await awsKeysAudit(
      sim.endpoint,
      parsePolicy({
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
      }),
    );
    // Assess: before, the check's own fix ('Replicate the secret …'), for a secret already replicated.
    const finding = report.findings.find((candidate) => candidate.checkId === 'keys.replicated');
    expect(finding?.status).toBe('NOT_AVAILABLE');
    expect(finding?.description).toContain(`the replica in us-east-1 is under the KMS key ${US_KEY}`);
    expect(finding?.remediation.text).toBe(
      `For the replica in us-east-1 (its KMS key ${US_KEY}, in us-east-1): an explicit deny in a service control policy refuses the call: a grant to the role that made the call (the audit, readiness, snapshot or chat-action role) cannot override it; ask the organization's administrators to exempt the role from it, then run the audit again.`,
    );
    // The simulator's refusal names the caller's ARN, as AWS's does: no finding repeats it.
    expect(JSON.stringify(report)).not.toMatch(/arn:aws:(sts|iam)::/);
  });
});
