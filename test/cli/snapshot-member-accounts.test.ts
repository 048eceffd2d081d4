/**
 * `snapshot` and `prune` with member accounts in the policy (`aws.accounts`): the member roles are
 * read-only, so the CLI writes in the account of its credentials only, as the snapshot Lambda and
 * chat do, and says once on stderr which member accounts it left out and how to act on them. The
 * simulator does not enforce the member role's read-only grants: a write through it would go
 * through here, so the tests see whether the CLI tried.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli/cli.ts';
import {
  NO_KEYS_WAIVER,
  type SnapshotHarness,
  startSnapshotHarness,
  TAG,
} from '../integration/snapshot-support.ts';
import { simCredentials } from '../sim/accounts.ts';

const CENTRAL = '111111111111';
const MEMBER = '222222222222';

// Expired an hour ago, after the snapshots below were created (prune.ts notTakenHere).
const EXPIRED = {
  purpose: 'certctl-pre-maintenance',
  'expires-at': new Date(Date.now() - 3_600_000).toISOString(),
};

/** Two expired snapshots of ours of `target` in `account`: the older may go, the newer stays. */
const oursOf = (account: string, target: string) =>
  ['-40d', '-20d'].map((createdAt, index) => ({
    id: `certctl-premaint-${target}-${index === 0 ? 'old' : 'new'}`,
    target,
    account,
    region: 'eu-west-1',
    createdAt,
    tags: EXPIRED,
  }));

/** A policy reading both accounts through their member roles; pruning by tags alone (no run record store here). */
const POLICY = JSON.stringify({
  aws: {
    regions: ['eu-west-1'],
    accounts: [CENTRAL, MEMBER].map((accountId) => ({
      accountId,
      roleArn: `arn:aws:iam::${accountId}:role/certctl-backup-guard-audit-member`,
    })),
  },
  pitr: { minPitrDays: 7 },
  targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }] },
  snapshots: {
    pollInitialSeconds: 0.05,
    pollMaxSeconds: 0.1,
    waitMinutes: 0.1,
    readinessWaivers: NO_KEYS_WAIVER,
    pruneByTagsAlone: true,
  },
});

let harness: SnapshotHarness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The simulator: certctl-prod-db in the central account, certctl-member-db in the member account. */
async function start(): Promise<SnapshotHarness> {
  harness = await startSnapshotHarness({
    accounts: [CENTRAL, MEMBER].map((id) => ({
      id,
      assumableRoles: [{ name: 'certctl-backup-guard-audit-member' }],
    })),
    regions: [{ name: 'eu-west-1' }],
    services: {
      rds: {
        instances: [
          {
            id: 'certctl-prod-db',
            region: 'eu-west-1',
            account: CENTRAL,
            tags: TAG,
            backupRetentionPeriod: 14,
          },
          {
            id: 'certctl-member-db',
            region: 'eu-west-1',
            account: MEMBER,
            tags: TAG,
            backupRetentionPeriod: 14,
          },
        ],
        snapshots: {
          defaultDurationMs: 150,
          existing: [...oursOf(CENTRAL, 'certctl-prod-db'), ...oursOf(MEMBER, 'certctl-member-db')],
        },
      },
    },
  });
  return harness;
}

async function cli(
  sim: SnapshotHarness,
  account: string,
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    [...argv, '--endpoint-url', sim.sim.endpoint],
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { BACKUP_GUARD_POLICY: POLICY, AWS_REGION: 'eu-west-1' },
    },
    { awsCredentials: simCredentials(account) },
  );
  return { code, stdout, stderr };
}

/** The ids of the snapshots left in `account`. */
function snapshotsIn(sim: SnapshotHarness, account: string): string[] {
  return sim.rds.snapshots
    .snapshots()
    .filter((snapshot) => snapshot.account === account)
    .map((snapshot) => snapshot.id)
    .sort();
}

const leftOutLine = (account: string, command: 'snapshot' | 'prune') =>
  command === 'snapshot'
    ? `backup-guard: member account ${account} (aws.accounts) left out: snapshot writes in the account of its credentials only, as the snapshot Lambda does, since the member role is read-only; to snapshot its databases, run backup-guard snapshot with that account's credentials (or use the snapshot Lambda deployed there)\n`
    : `backup-guard: member account ${account} (aws.accounts) left out: prune lists and deletes in the account of its credentials only, since the member role is read-only; to prune its snapshots, run backup-guard prune with that account's credentials\n`;

describe('snapshot and prune with member accounts in the policy', () => {
  it('snapshots the databases of its own account only, saying once which member account it left out', async () => {
    // Prepare
    const sim = await start();
    const before = snapshotsIn(sim, MEMBER);

    // Act
    const result = await cli(
      sim,
      CENTRAL,
      'snapshot',
      '--reason',
      'CA rotation',
      '--ticket',
      'CHG-M1',
      '--quiet',
    );

    // Assess: the warning is no progress, so --quiet keeps it.
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/available aws\/111111111111\/eu-west-1\/certctl-prod-db: /);
    expect(result.stdout).not.toContain(MEMBER);
    expect(snapshotsIn(sim, MEMBER)).toEqual(before);
    expect(result.stderr).toBe(leftOutLine(MEMBER, 'snapshot'));
  });

  it("snapshots a member account's databases when run with that account's credentials, naming the other account left out", async () => {
    // Prepare
    const sim = await start();

    // Act
    const result = await cli(
      sim,
      MEMBER,
      'snapshot',
      '--reason',
      'CA rotation',
      '--ticket',
      'CHG-M2',
      '--quiet',
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/available aws\/222222222222\/eu-west-1\/certctl-member-db: /);
    expect(result.stdout).not.toContain('certctl-prod-db');
    expect(result.stderr).toBe(leftOutLine(CENTRAL, 'snapshot'));
  });

  it.each([['--apply'], ['--dry-run']])(
    'prunes in its own account only, the member account untouched and named once on stderr (%s)',
    async (mode) => {
      // Prepare
      const sim = await start();

      // Act
      const result = await cli(sim, CENTRAL, 'prune', mode);

      // Assess: a dry run says what --apply would do, so it leaves out what --apply would.
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('certctl-premaint-certctl-prod-db-old');
      expect(result.stdout).not.toContain(MEMBER);
      expect(snapshotsIn(sim, MEMBER)).toEqual([
        'certctl-premaint-certctl-member-db-new',
        'certctl-premaint-certctl-member-db-old',
      ]);
      expect(snapshotsIn(sim, CENTRAL)).toEqual(
        mode === '--apply'
          ? ['certctl-premaint-certctl-prod-db-new']
          : ['certctl-premaint-certctl-prod-db-new', 'certctl-premaint-certctl-prod-db-old'],
      );
      expect(result.stderr).toBe(leftOutLine(MEMBER, 'prune'));
    },
  );
});

describe('what the help and README say of member accounts for snapshot and prune', () => {
  it.each(['snapshot', 'prune'])(
    'says in %s --help and the README that it writes in the account of its credentials only',
    async (command) => {
      // Prepare
      let help = '';

      // Act
      const code = await runCli([command, '--help'], {
        stdout: (t) => (help += t),
        stderr: () => undefined,
        env: {},
      });
      const readme = (await readFile('README.md', 'utf8')).replaceAll(/\s+/g, ' ');

      // Assess
      expect(code).toBe(0);
      expect(help.replaceAll(/\s+/g, ' ')).toMatch(
        /With member accounts in the policy \(aws\.accounts\), \w+ .*in the account of its credentials only.* It says once on stderr, --quiet or not, which member accounts it left out; to \w+ their \w+, run it with each account's credentials \(AWS_PROFILE\)\./,
      );
      expect(readme).toContain(
        '`snapshot` and `prune` write (they take or delete snapshots), so on AWS they work in the account of the credentials they run with only',
      );
    },
  );
});
