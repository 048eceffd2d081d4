/**
 * The snapshot, prune and readiness commands through the CLI dispatcher against the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli/cli.ts';
import { type SnapshotHarness, startSnapshotHarness } from '../integration/snapshot-support.ts';
import { simCredentials } from '../sim/accounts.ts';

let harness: SnapshotHarness;

beforeAll(async () => {
  harness = await startSnapshotHarness();
});

afterAll(async () => {
  await harness.close();
});

const POLICY = JSON.stringify({
  aws: { regions: ['eu-west-1'] },
  pitr: { minPitrDays: 7 },
  targets: { tags: [], identifiers: ['certctl-prod-db'] },
  snapshots: { pollInitialSeconds: 0.05, pollMaxSeconds: 0.1, waitMinutes: 0.1 },
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    [...argv, '--endpoint-url', harness.sim.endpoint, '--quiet'],
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { BACKUP_GUARD_POLICY: POLICY, AWS_REGION: 'eu-west-1' },
    },
    { awsCredentials: simCredentials() },
  );
  return { code, stdout, stderr };
}

describe('snapshot, prune and readiness commands', () => {
  it('exits 1 with the missing-snapshot gate, then 0 after a snapshot, when readiness runs before and after', async () => {
    // Act
    const before = await cli('readiness');
    const snapshot = await cli('snapshot', '--reason', 'CA rotation', '--ticket', 'CHG-7');
    const after = await cli('readiness');

    // Assess
    expect(before.code).toBe(1);
    expect(before.stdout).toContain('NO-GO   snapshot: no successful pre-maintenance snapshot of ours');
    expect(snapshot.code).toBe(0);
    expect(snapshot.stdout).toMatch(
      /available aws\/111111111111\/eu-west-1\/certctl-prod-db: arn:aws:rds:eu-west-1:111111111111:snapshot:certctl-premaint-certctl-prod-db-/,
    );
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('Readiness: GO');
  });

  it('refuses a snapshot without a reason in one line when --reason is missing', async () => {
    // Act
    const result = await cli('snapshot', '--ticket', 'CHG-8');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'backup-guard: --reason is required: say why the snapshot is taken, e.g. --reason "CA rotation"\n',
    );
  });

  it('deletes nothing and says how to delete when prune runs without --apply', async () => {
    // Act
    const result = await cli('prune');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Dry run: 0 would be deleted');
    expect(result.stdout).toContain('run with --apply to delete');
  });
});
