/**
 * A `ReplicationStatus` entry of DescribeSecret that leaves out `Region` (optional in
 * ReplicationStatusType) still describes a replica, not the secret's own copy: its key is judged
 * where what was sent allows (an AWS-managed key is one in any region), and worded as the key of a
 * replica whose Region was not sent; a key id that needs the region to be described is not evaluated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditReport } from '../../functions/core/audit.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { awsKeysAudit } from './support.ts';

const ACCOUNT = '111111111111';
const EU_KEY = 'aaaaaaaa-1111-2222-3333-444444444444';
const US_KEY = 'bbbbbbbb-1111-2222-3333-444444444444';

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
              name: 'certctl/default',
              region: 'eu-west-1',
              kmsKeyId: EU_KEY,
              replicas: [{ region: 'us-east-1', regionSent: false }],
              value: 'x',
            },
            {
              name: 'certctl/customer',
              region: 'eu-west-1',
              kmsKeyId: EU_KEY,
              replicas: [{ region: 'us-east-1', kmsKeyId: US_KEY, regionSent: false }],
              value: 'x',
            },
          ],
        },
        kms: {
          keys: [
            { id: EU_KEY, region: 'eu-west-1' },
            { id: US_KEY, region: 'us-east-1' },
          ],
        },
      },
    },
  });
});

afterAll(() => sim.close());

function audit(): Promise<AuditReport> {
  const items = Object.fromEntries(
    ['default', 'customer'].map((name) => [
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

describe('a replica whose ReplicationStatus entry sends no Region', () => {
  it("fails keys.cmk on the replica's AWS-managed key, saying it is a replica's whose Region was not sent, not the secret's own", async () => {
    // Act
    const said = finding(await audit(), 'keys.cmk', 'certctl/default');

    // Assess
    expect(said?.status).toBe('FAILED');
    expect(said?.description).toContain(
      'The replica in a region DescribeSecret did not send (ReplicationStatus without Region) of the secret',
    );
    expect(said?.description).toContain('that replica cannot be recovered cross-account');
    expect(said?.observed).toMatchObject({ keyManager: 'AWS', replicaRegion: 'not sent' });
    // The fix re-creates a replica; update-secret would change the primary's key only.
    expect(said?.remediation.text).toContain('remove-regions-from-replication');
    expect(said?.remediation.text).not.toContain('update-secret');
  });

  it("is not evaluated when the replica's key is an id that names no region: keys.cmk and keys.not-deleting say why", async () => {
    // Act
    const report = await audit();

    // Assess
    for (const checkId of ['keys.cmk', 'keys.not-deleting']) {
      const said = finding(report, checkId, 'certctl/customer');
      expect(said?.status, checkId).toBe('NOT_AVAILABLE');
      expect(said?.description, checkId).toContain(
        `DescribeSecret's ReplicationStatus entry for a replica did not send its Region, and the key id ${US_KEY} names no region, so which key it is is not known`,
      );
    }
  });
});
