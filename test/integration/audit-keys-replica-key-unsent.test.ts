/**
 * A `ReplicationStatus` entry of DescribeSecret that leaves out `KmsKeyId` (optional in
 * ReplicationStatusType) says nothing of the replica's key: Secrets Manager names a replica's
 * aws/secretsmanager key `alias/aws/secretsmanager` there (the API reference's
 * ReplicateSecretToRegions example, the AWS CLI's describe-secret example), so the entry is not read
 * as that key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { awsKeysAudit } from './support.ts';

const ACCOUNT = '111111111111';
const EU_KEY = 'aaaaaaaa-1111-2222-3333-444444444444';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    scenario: {
      accounts: [{ id: ACCOUNT }],
      regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }, { name: 'us-west-2' }],
      services: {
        secretsManager: {
          secrets: [
            {
              name: 'certctl/unsent',
              region: 'eu-west-1',
              kmsKeyId: EU_KEY,
              replicas: [{ region: 'us-east-1', kmsKeyIdSent: false }],
              value: 'x',
            },
            {
              name: 'certctl/default',
              region: 'eu-west-1',
              kmsKeyId: EU_KEY,
              replicas: [{ region: 'us-west-2' }],
              value: 'x',
            },
          ],
        },
        kms: { keys: [{ id: EU_KEY, region: 'eu-west-1' }] },
      },
    },
  });
});

afterAll(() => sim.close());

/** One audit of both secrets, each an opaque item named after it. */
function audit(): Promise<AuditReport> {
  const items = Object.fromEntries(
    ['unsent', 'default'].map((name) => [
      name,
      { kind: 'opaque', secret: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:certctl/${name}` },
    ]),
  );
  return awsKeysAudit(
    sim.endpoint,
    parsePolicy({ aws: { regions: ['eu-west-1'] }, keys: { preset: 'none', items } }),
  );
}

function finding(report: AuditReport, checkId: string, secret: string) {
  return report.findings.find((f) => f.checkId === checkId && f.resource.id.includes(secret));
}

describe('a replica whose ReplicationStatus entry sends no KmsKeyId', () => {
  it('is not evaluated: keys.cmk and keys.not-deleting are NOT_AVAILABLE, naming the missing field and the replica', async () => {
    // Act
    const report = await audit();
    // Assess
    for (const checkId of ['keys.cmk', 'keys.not-deleting']) {
      const said = finding(report, checkId, 'certctl/unsent');
      expect(said?.status, checkId).toBe('NOT_AVAILABLE');
      expect(said?.description, checkId).toContain('KmsKeyId');
      expect(said?.description, checkId).toContain('us-east-1');
    }
  });

  it('while a replica the entry names alias/aws/secretsmanager for is still on the AWS-managed key', async () => {
    // Act
    const report = await audit();
    // Assess
    expect(finding(report, 'keys.cmk', 'certctl/default')?.status).toBe('FAILED');
    expect(finding(report, 'keys.not-deleting', 'certctl/default')?.status).toBe('PASSED');
  });
});
