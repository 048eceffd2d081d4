/**
 * The KMS key of a pre-maintenance snapshot, end to end against the simulator (real RDS and KMS
 * clients): readiness gives a GO only when the key of the snapshot it relies on is Enabled, and the
 * snapshot job reports a snapshot whose key cannot decrypt as not delivered. Each distinct key is
 * described once per run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runReadinessJob } from '../../functions/jobs/readiness.ts';
import { confirmReplayedSnapshots, runSnapshotJob, snapshotExitCode } from '../../functions/jobs/snapshot.ts';
import type { ScenarioInput } from '../sim/scenario.ts';
import { fastPolicy, type SnapshotHarness, startSnapshotHarness, TAG } from './snapshot-support.ts';

const ACCOUNT = '111111111111';
const OTHER_ACCOUNT = '999999999999';
const keyArn = (id: string, account = ACCOUNT) => `arn:aws:kms:eu-west-1:${account}:key/${id}`;
const KEYS = {
  enabled: 'aaaaaaaa-0000-4000-8000-000000000001',
  pending: 'aaaaaaaa-0000-4000-8000-000000000002',
  disabled: 'aaaaaaaa-0000-4000-8000-000000000003',
  foreign: 'aaaaaaaa-0000-4000-8000-000000000004',
  expired: 'aaaaaaaa-0000-4000-8000-000000000005',
  expiring: 'aaaaaaaa-0000-4000-8000-000000000006',
  denied: 'aaaaaaaa-0000-4000-8000-000000000007',
} as const;
const OURS = { purpose: 'certctl-pre-maintenance' };

/**
 * Two databases in eu-west-1, each encrypted with `keys[i]` (a key ARN), and a fresh snapshot of ours
 * of each; the KMS keys of the scenario: Enabled, PendingDeletion (deletion in 7 days), Disabled, and
 * one of another account whose key policy grants this account nothing, and two of imported key
 * material: expired a day ago, and expiring in 5 days.
 */
function keyScenario(prodKey: string, auroraKey: string): ScenarioInput {
  return {
    regions: [{ name: 'eu-west-1' }],
    services: {
      rds: {
        instances: [{ id: 'certctl-prod-db', region: 'eu-west-1', tags: TAG, kmsKeyId: prodKey }],
        clusters: [
          {
            id: 'certctl-aurora',
            region: 'eu-west-1',
            tags: TAG,
            kmsKeyId: auroraKey,
            members: [{ id: 'certctl-aurora-1', writer: true }],
          },
        ],
        snapshots: {
          defaultDurationMs: 50,
          existing: [
            {
              id: 'certctl-premaint-prod-1',
              target: 'certctl-prod-db',
              region: 'eu-west-1',
              createdAt: '-2h',
              tags: OURS,
            },
            {
              id: 'certctl-premaint-aurora-1',
              kind: 'cluster',
              target: 'certctl-aurora',
              region: 'eu-west-1',
              createdAt: '-2h',
              tags: OURS,
            },
          ],
        },
      },
      kms: {
        keys: [
          { id: KEYS.enabled, region: 'eu-west-1' },
          { id: KEYS.pending, region: 'eu-west-1', state: 'PendingDeletion', deletionDate: '+7d' },
          { id: KEYS.disabled, region: 'eu-west-1', state: 'Disabled' },
          { id: KEYS.foreign, account: OTHER_ACCOUNT, region: 'eu-west-1' },
          // Imported key material (Origin EXTERNAL) that expired yesterday, still read Enabled; and
          // material that expires in 5 days.
          { id: KEYS.expired, region: 'eu-west-1', validTo: '-1d' },
          { id: KEYS.expiring, region: 'eu-west-1', validTo: '+5d' },
          // A Deny statement in a service control policy refuses every caller's DescribeKey.
          { id: KEYS.denied, region: 'eu-west-1', explicitDeny: 'service control policy' },
        ],
      },
    },
  };
}

const policy = () =>
  fastPolicy({
    aws: { regions: ['eu-west-1'] },
    targets: { tags: [], identifiers: ['certctl-prod-db', 'certctl-aurora'] },
  });

let harness: SnapshotHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function readinessWith(prodKey: string, auroraKey = keyArn(KEYS.enabled)) {
  harness = await startSnapshotHarness(keyScenario(prodKey, auroraKey));
  const before = harness.sim.stats().byOperation['kms:DescribeKey'] ?? 0;
  const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy()));
  const describeKeys = (harness.sim.stats().byOperation['kms:DescribeKey'] ?? 0) - before;
  const gateOf = (id: string) =>
    result.targets.find((entry) => entry.target.id === id)?.gates.find((gate) => gate.gate === 'snapshot');
  return { result, describeKeys, prod: gateOf('certctl-prod-db'), aurora: gateOf('certctl-aurora') };
}

describe('readiness and the key of the snapshot it relies on', () => {
  it('refuses the GO, naming the key, its state and deletion date, when the snapshot key is pending deletion', async () => {
    // Act
    const { result, prod, aurora } = await readinessWith(keyArn(KEYS.pending));

    // Assess
    expect(result.verdict).toBe('NO-GO');
    expect(result.exitCode).toBe(1);
    expect(prod?.status).toBe('NO-GO');
    expect(prod?.evidence).toContain('certctl-premaint-prod-1');
    expect(prod?.evidence).toContain(`KMS key ${keyArn(KEYS.pending)} is PendingDeletion (deletion on `);
    expect(prod?.action).toContain('aws kms cancel-key-deletion');
    expect(aurora?.status).toBe('GO');
  });

  it('refuses the GO when the imported key material of the snapshot key has expired, and carries material expiring soon as a warning', async () => {
    // Act
    const { result, prod, aurora } = await readinessWith(keyArn(KEYS.expired), keyArn(KEYS.expiring));

    // Assess: KMS deletes the material at ValidTo, so the snapshot cannot be restored until it is imported again.
    expect(result.verdict).toBe('NO-GO');
    expect(prod?.status).toBe('NO-GO');
    expect(prod?.evidence).toContain(
      `the imported key material of its KMS key ${keyArn(KEYS.expired)} expired on `,
    );
    expect(prod?.action).toContain(
      `aws kms import-key-material --key-id ${keyArn(KEYS.expired)} --import-token '<token>' --encrypted-key-material '<material>' --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE --region eu-west-1`,
    );
    expect(aurora?.status).toBe('GO');
    expect(aurora?.warnings).toEqual([
      expect.stringContaining(
        `the imported key material of its KMS key ${keyArn(KEYS.expiring)} expires on `,
      ),
    ]);
    // The simulator's clock is read on its own, a moment apart from readiness's: 5 days, or just under.
    expect(aurora?.warnings?.[0]).toMatch(/\(ValidTo, in [45] days\)/);
    expect(aurora?.warnings?.[0]).toContain(
      '--expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE --region eu-west-1',
    );
  });

  it('refuses the GO when the snapshot key is disabled', async () => {
    // Act
    const { result, prod } = await readinessWith(keyArn(KEYS.disabled));

    // Assess
    expect(result.verdict).toBe('NO-GO');
    expect(prod?.status).toBe('NO-GO');
    expect(prod?.evidence).toContain(`KMS key ${keyArn(KEYS.disabled)} is Disabled`);
    expect(prod?.action).toContain(`aws kms enable-key --key-id ${keyArn(KEYS.disabled)}`);
  });

  it('gives the GO on an older fresh snapshot whose key is Enabled when the newest one’s key is disabled, naming both', async () => {
    // Prepare: the newest snapshot (2 h old) is under the database's disabled key; an older one
    // (6 h old, within the 24 h limit) was taken under an Enabled key.
    const scenario = keyScenario(keyArn(KEYS.disabled), keyArn(KEYS.enabled));
    const rds = scenario.services?.rds as { snapshots: { existing: Record<string, unknown>[] } };
    rds.snapshots.existing.push({
      id: 'certctl-premaint-prod-0',
      target: 'certctl-prod-db',
      region: 'eu-west-1',
      createdAt: '-6h',
      kmsKeyId: keyArn(KEYS.enabled),
      tags: OURS,
    });
    harness = await startSnapshotHarness(scenario);

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy()));
    const prod = result.targets
      .find((entry) => entry.target.id === 'certctl-prod-db')
      ?.gates.find((gate) => gate.gate === 'snapshot');

    // Assess
    expect(prod?.status).toBe('GO');
    expect(prod?.evidence).toMatch(
      /^certctl-premaint-prod-0, 6\.0 h old \(limit 24 h\): restore from this one/,
    );
    expect(prod?.warnings?.join('\n')).toContain(
      `the newest snapshot, certctl-premaint-prod-1, cannot be restored: its KMS key ${keyArn(KEYS.disabled)} is Disabled`,
    );
  });

  it('gives the GO on the oldest fresh snapshot whose key is Enabled when a newer one’s key could not be read and the newest one’s is disabled', async () => {
    // Prepare: newest (2 h) under the disabled key; 4 h old under another account's key, which
    // DescribeKey refuses; 6 h old under an Enabled key: all within the 24 h limit.
    const scenario = keyScenario(keyArn(KEYS.disabled), keyArn(KEYS.enabled));
    const rds = scenario.services?.rds as { snapshots: { existing: Record<string, unknown>[] } };
    rds.snapshots.existing.push(
      {
        id: 'certctl-premaint-prod-0b',
        target: 'certctl-prod-db',
        region: 'eu-west-1',
        createdAt: '-4h',
        kmsKeyId: keyArn(KEYS.foreign, OTHER_ACCOUNT),
        tags: OURS,
      },
      {
        id: 'certctl-premaint-prod-0a',
        target: 'certctl-prod-db',
        region: 'eu-west-1',
        createdAt: '-6h',
        kmsKeyId: keyArn(KEYS.enabled),
        tags: OURS,
      },
    );
    harness = await startSnapshotHarness(scenario);

    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy()));
    const prod = result.targets
      .find((entry) => entry.target.id === 'certctl-prod-db')
      ?.gates.find((gate) => gate.gate === 'snapshot');

    // Assess: the oldest one's key was read too, not left unread behind the one that could not be.
    expect(prod?.status).toBe('GO');
    expect(prod?.evidence).toMatch(
      /^certctl-premaint-prod-0a, 6\.0 h old \(limit 24 h\): restore from this one/,
    );
  });

  it('answers could-not-evaluate, naming the key and AccessDeniedException, when DescribeKey is refused', async () => {
    // Act: the key is another account's, whose key policy does not grant this account DescribeKey.
    const { result, prod } = await readinessWith(keyArn(KEYS.foreign, OTHER_ACCOUNT));

    // Assess
    expect(result.verdict).toBe('UNKNOWN');
    expect(result.exitCode).toBe(2);
    expect(prod?.status).toBe('UNKNOWN');
    expect(prod?.evidence).toContain(
      `could not check the snapshot's KMS key ${keyArn(KEYS.foreign, OTHER_ACCOUNT)}`,
    );
    expect(prod?.evidence).toContain('AccessDeniedException');
    expect(prod?.evidence).toContain(`account ${OTHER_ACCOUNT}, which keys.kmsKeyAccounts does not list`);
    expect(result.gates.find((gate) => gate.gate === 'snapshot')).toMatchObject({
      coverage: 'incomplete',
      detail: "1 target(s) whose snapshot's KMS key could not be checked",
    });
  });

  it('words a DescribeKey that failed for the call as the audits do, and says to read it again, not to grant it', async () => {
    // Prepare: KMS answers every DescribeKey with its internal error, until the retries run out.
    harness = await startSnapshotHarness(keyScenario(keyArn(KEYS.enabled), keyArn(KEYS.enabled)));
    harness.sim.setFaults({ services: ['kms'], errorRate: 1 });
    // Act
    const result = await runReadinessJob({ providers: ['aws'] }, harness.readinessDeps(policy()));
    const prod = result.targets
      .find((entry) => entry.target.id === 'certctl-prod-db')
      ?.gates.find((gate) => gate.gate === 'snapshot');
    // Assess: before, 'DescribeKey failed (KMSInternalException)' and 'Make sure the role can call
    // kms:DescribeKey on the key …', a grant that no server error asks for.
    expect(prod?.status).toBe('UNKNOWN');
    expect(prod?.evidence).toContain(
      `could not check the snapshot's KMS key ${keyArn(KEYS.enabled)}: KMS DescribeKey of ${keyArn(KEYS.enabled)} failed: the service answered with a server error until the retries ran out; its last answer: KMSInternalException: An internal error occurred.`,
    );
    expect(prod?.action).toContain(
      'The read did not go through (the service answered with a server error), which passes on its own: read it again later.',
    );
    expect(prod?.action).not.toContain('kms:DescribeKey');
  });

  it('says what lifts an explicit deny of DescribeKey, not to make sure the role can call it, and quotes no caller', async () => {
    // Act
    const { result, prod } = await readinessWith(keyArn(KEYS.denied));

    // Assess: before, 'Make sure the role can call kms:DescribeKey on the key (its IAM policy and,
    // for a key of another account, the key policy).', a grant no allow can make good.
    expect(result.verdict).toBe('UNKNOWN');
    expect(prod?.status).toBe('UNKNOWN');
    expect(prod?.action).toBe(
      "An explicit deny in a service control policy refuses the call: a grant to the role that made the call (the audit, readiness, snapshot or chat-action role) cannot override it; ask the organization's administrators to exempt the role from it, then read it again later. Then run readiness again.",
    );
    expect(`${prod?.evidence} ${prod?.action}`).not.toMatch(/arn:aws:(sts|iam)::/);
  });

  it('does not blame a missing grant for a key of an unlisted account that no longer exists', async () => {
    // Act: the snapshot names a key of another account that KMS does not find (deleted): no grant
    // would let anyone describe it, so keys.kmsKeyAccounts is not the reason.
    const gone = keyArn('aaaaaaaa-0000-4000-8000-00000000dead', OTHER_ACCOUNT);
    const { result, prod } = await readinessWith(gone);

    // Assess
    expect(result.verdict).not.toBe('GO');
    expect(prod?.evidence).toContain(gone);
    expect(prod?.evidence).toContain('does not exist');
    expect(prod?.evidence).not.toContain('keys.kmsKeyAccounts');
    expect(prod?.evidence).not.toContain('not granted');
  });

  it('says the alias is not found and to check the KmsKeyId, not to grant kms:DescribeKey, when the snapshot names an alias KMS does not have', async () => {
    // Act: an alias no key carries; DescribeKey answers NotFoundException, which no grant fixes.
    const { result, prod } = await readinessWith('alias/certctl-no-such-alias');

    // Assess: before, 'Make sure the role can call kms:DescribeKey on the key (its IAM policy and,
    // for a key of another account, the key policy).'
    expect(result.verdict).toBe('UNKNOWN');
    expect(prod?.status).toBe('UNKNOWN');
    expect(prod?.evidence).toContain('NotFoundException');
    expect(prod?.action).toContain(
      'KMS has no alias alias/certctl-no-such-alias (NotFoundException): check the KmsKeyId the database and its snapshots name (`aws rds describe-db-instances` or `describe-db-clusters`) and that the alias exists in its account and region (`aws kms list-aliases`), then read it again later.',
    );
    expect(prod?.action).not.toContain('kms:DescribeKey');
  });

  it('gives the GO as before when the snapshot keys are Enabled, describing a key two snapshots share once', async () => {
    // Act
    const { result, prod, aurora, describeKeys } = await readinessWith(keyArn(KEYS.enabled));

    // Assess
    expect(result.verdict).toBe('GO');
    expect(result.exitCode).toBe(0);
    expect(prod?.evidence).toBe(
      `certctl-premaint-prod-1, 2.0 h old (limit 24 h); KMS key ${keyArn(KEYS.enabled)} Enabled`,
    );
    expect(aurora?.status).toBe('GO');
    expect(describeKeys).toBe(1);
  });

  it('describes each distinct key once when the snapshots have different keys', async () => {
    // Act
    const { describeKeys, prod, aurora } = await readinessWith(keyArn(KEYS.disabled), keyArn(KEYS.pending));

    // Assess
    expect([prod?.status, aurora?.status]).toEqual(['NO-GO', 'NO-GO']);
    expect(describeKeys).toBe(2);
  });
});

describe('the snapshot job and the key of the snapshots it takes', () => {
  it('reports a snapshot whose key is disabled as not delivered, naming the key, and one whose key is Enabled as available', async () => {
    // Prepare
    harness = await startSnapshotHarness(keyScenario(keyArn(KEYS.disabled), keyArn(KEYS.enabled)));

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-KEY', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy()),
    );

    // Assess
    const prod = result.results.find((entry) => entry.target.id === 'certctl-prod-db');
    const aurora = result.results.find((entry) => entry.target.id === 'certctl-aurora');
    expect(prod?.outcome).toBe('error');
    expect(prod?.error?.code).toBe('SnapshotKeyUnusable');
    expect(prod?.error?.message).toContain(`KMS key ${keyArn(KEYS.disabled)} is Disabled`);
    expect(prod?.snapshotId).toMatch(/^certctl-premaint-certctl-prod-db-/);
    expect(aurora?.outcome).toBe('available');
    expect(snapshotExitCode(result)).toBe(1);
  });

  it('reports a snapshot whose key material has expired as not delivered, naming the key and the import that fixes it', async () => {
    // Prepare
    harness = await startSnapshotHarness(keyScenario(keyArn(KEYS.expired), keyArn(KEYS.expiring)));

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-KEY-MATERIAL', reason: 'CA rotation', requestedBy: 'alice' },
      harness.deps(policy()),
    );

    // Assess: material expiring in 5 days still restores today; the expired one does not.
    const prod = result.results.find((entry) => entry.target.id === 'certctl-prod-db');
    const aurora = result.results.find((entry) => entry.target.id === 'certctl-aurora');
    expect(prod?.outcome).toBe('error');
    expect(prod?.error?.code).toBe('SnapshotKeyUnusable');
    expect(prod?.error?.message).toContain(
      `the imported key material of its KMS key ${keyArn(KEYS.expired)} expired on `,
    );
    expect(prod?.error?.message).toContain('--expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE');
    expect(aurora?.outcome).toBe('available');
  });

  it('reports a remembered available snapshot whose key has since been scheduled for deletion as not delivered when it is replayed', async () => {
    // Prepare: a result remembered when the key was still usable; the key is pending deletion now.
    harness = await startSnapshotHarness(keyScenario(keyArn(KEYS.pending), keyArn(KEYS.enabled)));
    const remembered = {
      target: {
        provider: 'aws' as const,
        kind: 'rds-instance' as const,
        account: ACCOUNT,
        region: 'eu-west-1',
        id: 'certctl-prod-db',
      },
      outcome: 'available' as const,
      snapshotId: 'certctl-premaint-prod-1',
      encrypted: true,
      kmsKeyId: keyArn(KEYS.pending),
      durationMs: 1,
      attempts: 1,
    };

    // Act
    const [replayed] = await confirmReplayedSnapshots([remembered], harness.deps(policy()).clouds);

    // Assess
    expect(replayed?.outcome).toBe('error');
    expect(replayed?.error?.code).toBe('SnapshotKeyUnusable');
    expect(replayed?.error?.message).toContain(`KMS key ${keyArn(KEYS.pending)} is PendingDeletion`);
  });

  it('reports a snapshot whose key cannot be described as not verified, with the error code', async () => {
    // Prepare
    harness = await startSnapshotHarness(
      keyScenario(keyArn(KEYS.foreign, OTHER_ACCOUNT), keyArn(KEYS.enabled)),
    );

    // Act
    const result = await runSnapshotJob(
      { requestId: 'CHG-KEY-2', reason: 'CA rotation', requestedBy: 'alice', targets: ['certctl-prod-db'] },
      harness.deps(policy()),
    );

    // Assess
    expect(result.results).toHaveLength(1);
    expect(result.results[0]?.outcome).toBe('error');
    expect(result.results[0]?.error?.code).toBe('SnapshotKeyNotVerified');
    expect(result.results[0]?.error?.message).toContain('AccessDeniedException');
  });
});
