/**
 * A key secret the inventory names by its replica (the copy in the region certctl runs in): the
 * replica's own DescribeSecret names its primary's region but not whether the copy is in sync, so
 * `keys.replicated` asks the primary, against the simulator with the real SDK client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../functions/core/policy.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { awsKeysAudit } from './support.ts';

const ACCOUNT = '111111111111';
/** The customer-managed key of certctl/tls's primary, in us-east-1. */
const PRIMARY_KEY = 'bbbbbbbb-1111-2222-3333-444444444444';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({
    scenario: {
      accounts: [{ id: ACCOUNT }],
      regions: [{ name: 'eu-west-1' }, { name: 'us-east-1' }],
      services: {
        secretsManager: {
          secrets: [
            // Primaries in us-east-1; the inventory names their replicas in eu-west-1.
            { name: 'certctl/ca', region: 'us-east-1', replicas: [{ region: 'eu-west-1' }], value: 'x' },
            {
              name: 'certctl/ra',
              region: 'us-east-1',
              replicas: [
                { region: 'eu-west-1', status: 'Failed', statusMessage: 'Access denied to the KMS key' },
              ],
              value: 'x',
            },
            {
              name: 'certctl/ocsp',
              region: 'us-east-1',
              replicas: [{ region: 'eu-west-1' }],
              value: 'x',
              // The replica answers; its primary refuses us.
              denied: ['DescribeSecret'],
            },
            {
              name: 'certctl/tls',
              region: 'us-east-1',
              kmsKeyId: `arn:aws:kms:us-east-1:${ACCOUNT}:key/${PRIMARY_KEY}`,
              replicas: [{ region: 'eu-west-1' }],
              value: 'x',
            },
          ],
        },
        kms: { keys: [{ id: PRIMARY_KEY, region: 'us-east-1' }] },
      },
    },
  });
});

afterAll(async () => {
  await sim.close();
});

/** The findings of `checkId` over the three replicas, by secret name. */
async function findingsOf(
  checkId = 'keys.replicated',
): Promise<Record<string, { status: string; description: string; remediation: string }>> {
  const report = await awsKeysAudit(sim.endpoint, replicasPolicy());
  return Object.fromEntries(
    report.findings
      .filter((finding) => finding.checkId === checkId)
      .map((finding) => [
        finding.resource.id,
        { status: finding.status, description: finding.description, remediation: finding.remediation.text },
      ]),
  );
}

/** The keys policy over the four replicas, in eu-west-1. */
function replicasPolicy() {
  return parsePolicy({
    aws: { regions: ['eu-west-1'] },
    keys: {
      preset: 'none',
      items: Object.fromEntries(
        ['ca', 'ra', 'ocsp', 'tls'].map((name) => [
          `${name}-backup`,
          { kind: 'opaque', secret: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:certctl/${name}` },
        ]),
      ),
    },
  });
}

afterEach(() => {
  sim.setFaults({});
});

describe('a key secret named by its replica', () => {
  it("is judged by the replica's own status as its primary reports it", async () => {
    // Act
    const byId = await findingsOf();

    // Assess: in sync passes; out of sync fails (the copy certctl would restore from is stale); a
    // primary we may not read proves nothing about the copy.
    expect(byId['certctl/ca']?.status).toBe('PASSED');
    expect(byId['certctl/ca']?.description).toContain(
      'is a replica of the secret in us-east-1, in sync with it',
    );
    expect(byId['certctl/ra']?.status).toBe('FAILED');
    expect(byId['certctl/ra']?.description).toContain('eu-west-1 (Access denied to the KMS key)');
    expect(byId['certctl/ocsp']?.status).toBe('NOT_AVAILABLE');
    expect(byId['certctl/ocsp']?.description).toContain(
      'DescribeSecret of the primary in us-east-1 failed: User is not authorized to perform: secretsmanager:DescribeSecret on resource: ',
    );
    // Secrets Manager's message names the caller's ARN: the finding does not repeat it.
    expect(byId['certctl/ocsp']?.description).not.toContain('assumed-role');
  });
});

describe('a key secret named by its replica, on the AWS-managed key', () => {
  it('keys.cmk names the replica and moves it from its primary’s region', async () => {
    // Act
    const byId = await findingsOf('keys.cmk');
    // Assess: the copy in eu-west-1 is the replica; its key is set from the primary, in us-east-1.
    const finding = byId['certctl/ca'];
    expect(finding?.status).toBe('FAILED');
    expect(finding?.description).toBe(
      'The replica in eu-west-1 of the secret certctl/ca (ca-backup) is encrypted with the AWS-managed key aws/secretsmanager, which no other account can use: that replica cannot be recovered cross-account.',
    );
    expect(finding?.remediation).toContain(
      '`aws secretsmanager remove-regions-from-replication --secret-id certctl/ca --remove-replica-regions eu-west-1 --region us-east-1`',
    );
  });
});

describe('a key secret named by its replica, whose primary is throttled', () => {
  it("fails the replica's scope, not that secret NOT_AVAILABLE in a scope read as complete", async () => {
    // Prepare: every attempt of the primary's DescribeSecret (in us-east-1) is throttled.
    sim.setFaults({
      throttleRate: 1,
      services: ['secretsManager'],
      operations: ['DescribeSecret'],
      containing: `secretsmanager:us-east-1:${ACCOUNT}:secret:certctl/ca`,
    });

    // Act
    const report = await awsKeysAudit(sim.endpoint, replicasPolicy());

    // Assess: a throttle says nothing of the copy; the scope's read failed, so no finding of its
    // secrets is settled.
    const scope = report.scopes.find((outcome) => outcome.scope.region === 'eu-west-1');
    expect(scope).toMatchObject({ status: 'failed', error: { code: 'ThrottlingException' } });
    expect(scope?.error?.message).toContain('us-east-1');
    expect(
      report.findings.filter(
        (finding) => finding.resource.region === 'eu-west-1' && finding.resource.type !== 'Scope',
      ),
    ).toEqual([]);
  });
});

describe('a key secret named by its replica, whose primary key is throttled', () => {
  it("fails the replica's scope, not the primary's key left unread in a scope read as complete", async () => {
    // Prepare: every attempt of DescribeKey on the primary's key (in us-east-1) is throttled.
    sim.setFaults({
      throttleRate: 1,
      services: ['kms'],
      operations: ['DescribeKey'],
      containing: PRIMARY_KEY,
    });

    // Act
    const report = await awsKeysAudit(sim.endpoint, replicasPolicy());

    // Assess
    const scope = report.scopes.find((outcome) => outcome.scope.region === 'eu-west-1');
    expect(scope).toMatchObject({ status: 'failed', error: { code: 'ThrottlingException' } });
    expect(scope?.error?.message).toContain(PRIMARY_KEY);
    expect(
      report.findings.filter(
        (finding) => finding.resource.region === 'eu-west-1' && finding.resource.type !== 'Scope',
      ),
    ).toEqual([]);
  });
});
