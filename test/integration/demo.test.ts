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
    // The keys chapter: one line per keys finding, `<mark> <check> <secret>`.
    const keys = (check: string, secret: string): string | undefined =>
      stdout
        .split('\n')
        .find((line) => new RegExp(`^  \\S+\\s+${check.replace('.', '\\.')}\\s+${secret}(:|$)`).test(line))
        ?.trim()
        .split(/\s+/)[0];
    for (const check of [
      'keys.present',
      'keys.not-deleting',
      'keys.replicated',
      'keys.cmk',
      'keys.content',
    ]) {
      expect(keys(check, 'certctl/ca'), check).toBe('ok');
    }
    expect(keys('keys.not-deleting', 'certctl/ocsp-iss-local')).toBe('FAIL');
    expect(keys('keys.replicated', 'certctl/tls')).toBe('FAIL');
    expect(keys('keys.cmk', 'certctl/api-keys')).toBe('FAIL');
    expect(keys('keys.replicated', 'certctl/config-encryption-key')).toBe('FAIL');
    expect(keys('keys.content', 'certctl/trust-corp')).toBe('FAIL');
    expect(keys('keys.content', 'certctl/scep-ra')).toBe('FAIL');
    expect(stdout).toContain('scep-ra-key does not match the certificate in scep-ra-cert');
    expect(stdout).toContain('expired on 2021-01-01');
    expect(stdout).not.toContain('PRIVATE KEY');
  });
});
