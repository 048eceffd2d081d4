/**
 * `npm run demo` end to end, as a newcomer runs it: a child process, the simulator on 127.0.0.1,
 * the real CLI. Asserts every seeded case shows the status the check catalog (docs/checks.md) gives it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The matrix row of one database: its statuses in column order. */
function row(output: string, resource: string): string[] {
  const line = output.split('\n').find((candidate) => candidate.startsWith(`${resource} `));
  if (!line) throw new Error(`no row for ${resource} in the demo output`);
  return line.slice(resource.length).trim().split(/\s+/);
}

describe('npm run demo', () => {
  it('shows every seeded case with its status, skips replicas and members, and publishes to Security Hub', async () => {
    // Act
    const { stdout } = await run(process.execPath, ['test/sim/demo.ts'], {
      env: { ...process.env, NO_COLOR: '1' },
    });

    // Assess: columns are deletion-protection, enabled, lag, retention, window.
    expect(stdout).toMatch(/^DATABASE\s+deletion-protection\s+enabled\s+lag\s+retention\s+window$/m);
    expect(row(stdout, 'aws:111111111111/eu-west-1 rds:certctl-prod-db')).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
    expect(row(stdout, 'aws:111111111111/eu-west-1 rds:certctl-staging-db')).toEqual([
      'FAIL',
      'ok',
      'ok',
      'FAIL',
      'FAIL',
    ]);
    expect(row(stdout, 'aws:111111111111/us-east-1 rds:certctl-ra-db')).toEqual([
      'ok',
      'FAIL',
      '-',
      'FAIL',
      'FAIL',
    ]);
    expect(row(stdout, 'aws:111111111111/us-east-1 aurora:certctl-prod-aurora')).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'WARN',
    ]);
    expect(row(stdout, 'aws:111111111111/us-east-1 rds:certctl-ocsp-db')).toEqual([
      'ok',
      'ok',
      'FAIL',
      'ok',
      'ok',
    ]);
    expect(row(stdout, 'gcp:certctl-prod/europe-west1 cloudsql:certctl-gcp-db')[3]).toBe('FAIL');
    expect(row(stdout, 'gcp:certctl-prod/europe-west1 cloudsql:certctl-gcp-db-plus')).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
    ]);
    // PITR off: no lag to judge ('-'), and a window of daily backups bounded by retainedBackups.
    expect(row(stdout, 'gcp:certctl-prod/us-central1 cloudsql:certctl-gcp-legacy-db')).toEqual([
      'FAIL',
      'FAIL',
      '-',
      'FAIL',
      'FAIL',
    ]);
    expect(stdout).toContain('Cloud SQL instance `certctl-gcp-legacy-db` has a backup-only window');
    expect(stdout).toContain('The 7 retained daily backups');
    expect(stdout).toContain('the 30-day target is impossible on the ENTERPRISE edition');
    // Snapshots chapter: readiness before and after, one busy target retried, one failing, a re-send not repeated.
    const chapter = stdout.slice(stdout.indexOf('Pre-maintenance snapshots and the go/no-go'));
    expect(chapter).toMatch(/^Readiness: NO-GO$/m);
    expect(chapter).toMatch(
      /available aws\/111111111111\/eu-west-1\/certctl-prod-db: arn:aws:rds:eu-west-1:111111111111:snapshot:certctl-premaint-certctl-prod-db-/,
    );
    expect(chapter).toMatch(/failed {4}aws\/111111111111\/us-east-1\/certctl-ocsp-db: SnapshotFailed/);
    expect(chapter).toContain('Snapshots created by the first request: 5; after the re-send: 5');
    expect(chapter).toMatch(
      /GO {6}snapshot: certctl-premaint-certctl-prod-db-[0-9a-f]{10}, 0\.0 h old \(limit 24 h\)/,
    );
    expect(chapter).not.toContain('registerLambdaContext');
    expect(stdout).toContain('The 30-day target is impossible on this edition');
    expect(stdout).not.toContain('--retained-transaction-log-days=30`. The window then grows');
    expect(stdout).toContain('12.0 of 30 days accrued');
    expect(stdout).toContain('3 h 0 min old');
    for (const neverAlone of [
      'certctl-prod-db-replica',
      'certctl-prod-aurora-1',
      'certctl-prod-aurora-2',
      'billing-reports-db',
      // demo-gcp.yaml: the read replica of certctl-gcp-db, and an instance without the target label.
      'certctl-gcp-db-replica',
      'billing-db',
    ]) {
      expect(stdout).not.toContain(`:${neverAlone} `);
    }
    // Neither in the matrix nor in any finding line (which ends with the resource).
    expect(stdout).not.toMatch(/cloudsql:certctl-gcp-db-replica\b/);
    expect(stdout).toContain('certctl-prod-db-replica (RDS read replica)');
    expect(stdout).toContain('certctl-prod-aurora-1 (Aurora member, judged at certctl-prod-aurora)');
    expect(stdout).not.toMatch(/cloudsql:billing-db\b/);
    expect(stdout).toMatch(/Security Hub: \d+ created, .* 0 failed/);
    expect(stdout).toContain("The audit's exit code is 1");
  });
});
