/**
 * `npm run demo` end to end, as a newcomer runs it: a child process, the simulator on 127.0.0.1,
 * the real CLI. Asserts every seeded case shows the status the check catalog (docs/checks.md) gives it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** The matrix row of one database (`rds:name`, under its account and region): window and cells. */
function row(output: string, resource: string): string[] {
  const line = output.split('\n').find((candidate) => candidate.startsWith(`  ${resource} `));
  if (!line) throw new Error(`no row for ${resource} in the demo output`);
  return line
    .slice(resource.length + 2)
    .trim()
    .split(/\s{2,}/);
}

const DAY_MS = 86_400_000;

/**
 * The window cell of an RDS DB instance with the simulator's default window at `now`: RDS restores
 * from the oldest of the `retention` daily snapshots it keeps, each taken at the start of the backup
 * window (`backupStart`, hh:mm UTC), so the window is retention - 1 days plus the time since today's
 * snapshot: it grows through the day and drops by a day at each snapshot.
 */
function dailySnapshotWindow(retention: number, backupStart: string, now: Date): string {
  const [hours = 0, minutes = 0] = backupStart.split(':').map(Number);
  const snapshot = new Date(now);
  snapshot.setUTCHours(hours, minutes, 0, 0);
  if (snapshot > now) snapshot.setUTCDate(snapshot.getUTCDate() - 1);
  const days = retention - 1 + (now.getTime() - snapshot.getTime()) / DAY_MS;
  return `${(Math.round(days * 10) / 10).toFixed(1)} d`;
}

describe('npm run demo', () => {
  it('shows every seeded case with its status, skips replicas and members, and publishes to Security Hub', async () => {
    // Act
    const started = new Date();
    const { stdout } = await run(process.execPath, ['test/sim/demo.ts'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    const ended = new Date();

    // Assess: the window in days, then enabled, retention, window, lag, deletion-protection (catalog
    // order), each database under its account and region, failures with their severity.
    expect(stdout).toMatch(/^DATABASE\s+WINDOW\s+enabled\s+retention\s+window\s+lag\s+deletion-protection$/m);
    expect(stdout).toMatch(/^aws 111111111111 eu-west-1$/m);
    expect(stdout).toMatch(/^gcp certctl-prod us-central1$/m);
    expect(row(stdout, 'rds:certctl-prod-db')).toEqual(['35.0 d', 'ok', 'ok', 'ok', 'ok', 'ok']);
    // certctl-staging-db has no explicit window: 7 daily snapshots at 03:00 UTC (the default backup
    // window), so 6 to 7 days depending on the time of day, as the audit saw it during the run.
    const stagingWindow = row(stdout, 'rds:certctl-staging-db')[0];
    expect([started, ended].map((at) => dailySnapshotWindow(7, '03:00', at))).toContain(stagingWindow);
    expect(row(stdout, 'rds:certctl-staging-db')).toEqual([
      stagingWindow,
      'ok',
      'FAIL H',
      'FAIL H',
      'ok',
      'FAIL M',
    ]);
    expect(row(stdout, 'rds:certctl-ra-db')).toEqual(['0.0 d', 'FAIL C', 'FAIL H', 'FAIL H', '-', 'ok']);
    expect(row(stdout, 'aurora:certctl-prod-aurora')).toEqual(['12.0 d', 'ok', 'ok', 'WARN M', 'ok', 'ok']);
    expect(row(stdout, 'rds:certctl-ocsp-db')).toEqual(['35.0 d', 'ok', 'ok', 'ok', 'FAIL H', 'ok']);
    expect(row(stdout, 'cloudsql:certctl-gcp-db')[2]).toBe('FAIL H');
    expect(row(stdout, 'cloudsql:certctl-gcp-db-plus')).toEqual(['35.0 d', 'ok', 'ok', 'ok', 'ok', 'ok']);
    // PITR off: the lag is its newest daily backup's age (within a day: ok), and a window of daily
    // backups bounded by retainedBackups.
    expect(row(stdout, 'cloudsql:certctl-gcp-legacy-db')).toEqual([
      '6.1 d',
      'FAIL C',
      'FAIL H',
      'FAIL H',
      'ok',
      'FAIL M',
    ]);
    expect(stdout).toContain('- not judged:');
    for (const line of stdout.split('\n').filter((l) => /^(DATABASE| {2}\w+:)/.test(l))) {
      expect(line.length).toBeLessThanOrEqual(120);
    }
    expect(stdout).toContain('Cloud SQL instance `certctl-gcp-legacy-db` has a backup-only window');
    expect(stdout).toContain('The 7 retained daily backups');
    expect(stdout).toContain('the 30-day target is impossible on the ENTERPRISE edition');
    // Snapshots chapter: readiness before and after, one busy target retried, one failing, a re-send
    // that repeats only the failed snapshot (its next attempt).
    const chapter = stdout.slice(stdout.indexOf('Pre-maintenance snapshots and the go/no-go'));
    expect(chapter).toMatch(/^Readiness: NO-GO$/m);
    expect(chapter).toMatch(
      /available aws\/111111111111\/eu-west-1\/certctl-prod-db: arn:aws:rds:eu-west-1:111111111111:snapshot:certctl-premaint-certctl-prod-db-/,
    );
    expect(chapter).toMatch(/certctl-prod-db: arn:aws:rds:[^\n]* ([2-9]|\d\d) attempts \(busy, retried\)\n/);
    expect(chapter).toMatch(/failed {4}aws\/111111111111\/us-east-1\/certctl-ocsp-db: SnapshotFailed/);
    expect(chapter).toMatch(
      /failed {4}aws\/111111111111\/us-east-1\/certctl-ocsp-db: SnapshotFailed: [^\n]*certctl-premaint-certctl-ocsp-db-[0-9a-f]{10}-a2/,
    );
    expect(chapter).toContain('Snapshots created by the first request: 5; after the re-send: 6');
    expect(chapter).toMatch(
      /GO {6}snapshot: certctl-premaint-certctl-prod-db-[0-9a-f]{10}, 0\.0 h old \(limit 24 h\)/,
    );
    expect(chapter).not.toContain('registerLambdaContext');
    const [before] = chapter.split('$ backup-guard readiness').slice(1);
    expect(before).toMatch(/NO-GO {3}snapshot: no successful pre-maintenance snapshot of ours/);
    // demo-snapshots.yaml: certctl-staging-db's fresh snapshot is under a KMS key pending deletion;
    // after the request its new snapshot (under the database's own key) is the one readiness uses.
    expect(before).toMatch(
      /NO-GO {3}snapshot: certctl-premaint-certctl-staging-db-chg0999, 4\.0 h old \(limit 24 h\), but its KMS key arn:aws:kms:eu-west-1:111111111111:key\/dddddddd-1111-2222-3333-444444444444 is PendingDeletion \(deletion on /,
    );
    expect(before).toContain('aws kms cancel-key-deletion --key-id');
    const after = chapter.split('$ backup-guard readiness').at(-1) ?? '';
    expect(after).toMatch(/GO {6}snapshot: certctl-premaint-certctl-staging-db-[0-9a-f]{10}, 0\.0 h old/);
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

    // The pg_dump chapter: columns are fresh, integrity, protection, retention.
    expect(stdout).toMatch(/^DUMP SERIES\s+fresh\s+integrity\s+protection\s+retention$/m);
    const dumps = (location: string) => row(stdout, location);
    expect(stdout).toMatch(/^aws 111111111111 us-east-1\n {2}s3:certctl-demo-dumps-weekly\/prod\/ /m);
    expect(stdout).toMatch(/^gcp certctl-prod europe-west1\n {2}gcs:certctl-demo-dumps-gcp\/prod\/ /m);
    expect(dumps('s3:certctl-demo-dumps/prod/')).toEqual(['ok', 'ok', 'ok', 'ok']);
    // Stale: the newest dump is 40 h old, past cadence + grace, not yet a gap over twice the cadence.
    expect(dumps('s3:certctl-demo-dumps/ra/')).toEqual(['FAIL H', 'ok', 'ok', 'ok']);
    // Truncated: the newest dump is cut to 1 KiB, so it is no recent whole dump, and the one before
    // it, recent, was not read (fresh N/A since 6342996).
    expect(dumps('s3:certctl-demo-dumps/ocsp/')).toEqual(['N/A', 'FAIL H', 'ok', 'ok']);
    // A 4-day gap in the series.
    expect(dumps('s3:certctl-demo-dumps/staging/')).toEqual(['ok', 'ok', 'ok', 'FAIL H']);
    // No versioning, no Object Lock.
    expect(dumps('s3:certctl-demo-dumps-unlocked/prod/')).toEqual(['ok', 'ok', 'FAIL H', 'ok']);
    // A lifecycle rule deletes dumps after 7 days.
    expect(dumps('s3:certctl-demo-dumps-weekly/prod/')).toEqual(['ok', 'ok', 'ok', 'FAIL H']);
    expect(dumps('gcs:certctl-demo-dumps-gcp/prod/')).toEqual(['ok', 'ok', 'ok', 'ok']);
    // Finding text wraps at the terminal width: compare it with the line breaks folded.
    const prose = stdout.replace(/\s+/g, ' ');
    expect(prose).toContain('the series has a gap of 4 days');
    expect(prose).toContain(
      'lifecycle rule expire-weekly deletes dumps after 7 days, sooner than the 30 days required',
    );
    expect(stdout).toContain('Security Hub: 28 dumps findings');
    // 2, not 1: the truncated ocsp/ series leaves dumps.fresh NOT_AVAILABLE (could not complete).
    expect(stdout).toContain("The dumps audit's exit code is 2");
    // What the chapter says it read is what the collectors read: two ranged reads of each newest
    // dump (its header and its last bytes), one pair per location, and the count includes the
    // Security Hub calls of its publishing, so it is not called reads.
    expect(stdout).toMatch(
      /^API calls: \d+, publishing included; 14 of them ranged reads, the first 1024 and the last 64 bytes of each newest dump: none is downloaded whole\.$/m,
    );
    expect(stdout).not.toContain('its header only');

    // The key-material chapter: columns in catalog order, one row per secret under its place.
    expect(stdout).toMatch(/^SECRET\s+present\s+not-deleting\s+replicated\s+cmk\s+content$/m);
    const keys = (secret: string) => row(stdout, `secret:${secret}`);
    expect(keys('certctl/ca')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    // Pending deletion: its value is not even asked for (N/A), never passed.
    expect(keys('certctl/ocsp-iss-local')).toEqual(['ok', 'FAIL C', 'ok', 'ok', 'N/A']);
    // Lives in one region only.
    expect(keys('certctl/tls')).toEqual(['ok', 'ok', 'FAIL H', 'ok', 'ok']);
    // On the AWS-managed default key.
    expect(keys('certctl/api-keys')).toEqual(['ok', 'ok', 'ok', 'FAIL M', 'ok']);
    // Its replica too (ReplicationStatus names that key by its alias), each key named with its
    // place (not the same name twice).
    expect(prose).toContain('keys=aws/secretsmanager,alias/aws/secretsmanager (us-east-1)');
    // A replica out of sync.
    expect(keys('certctl/config-encryption-key')).toEqual(['ok', 'ok', 'FAIL H', 'ok', 'ok']);
    // An expired CA certificate in a trust bundle, and an RA key that does not match its certificate.
    expect(keys('certctl/trust-corp')).toEqual(['ok', 'ok', 'ok', 'ok', 'FAIL C']);
    expect(keys('certctl/scep-ra')).toEqual(['ok', 'ok', 'ok', 'ok', 'FAIL C']);
    // A healthy CA backup in Secret Manager, shown under its project.
    expect(stdout).toMatch(
      /^gcp certctl-prod global\n {2}secret:projects\/certctl-prod\/secrets\/certctl-ca-backup /m,
    );
    expect(keys('projects/certctl-prod/secrets/certctl-ca-backup')).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    // A backup written under a Cloud KMS key version scheduled for destruction: failed, its value
    // unreadable, and no copy of it can be decrypted (so not counted as replicated); customer-managed,
    // but a key going away protects nothing for long (cmk fails too).
    expect(keys('projects/certctl-prod/secrets/certctl-tls-backup')).toEqual([
      'ok',
      'FAIL C',
      'FAIL H',
      'FAIL M',
      'N/A',
    ]);
    expect(prose).toContain('DESTROY_SCHEDULED (destruction on');
    expect(prose).toContain('gcloud kms keys versions restore 1 --key=backup --keyring=certctl');
    expect(prose).toContain('scep-ra-key does not match the certificate in scep-ra-cert');
    expect(prose).toContain('expired on 2021-01-01');
    expect(prose).toContain(
      'is scheduled for deletion, and Secrets Manager returns no value of such a secret',
    );
    expect(stdout).toContain('Security Hub: 45 keys findings');
    expect(stdout).toMatch(/^API calls: \d+, publishing included; 3 of them value reads/m);
    expect(stdout).toContain("The keys audit's exit code is 2");
    // The values were judged, never shown: no PEM body or private-key armour reaches the terminal.
    expect(stdout).not.toContain('PRIVATE KEY');
    expect(stdout).not.toContain('ops:demo-api-key');
    expect(stdout).not.toContain('demo passphrase');

    // The ChatOps chapter: a Slack conversation against the chat handlers, read back from the
    // local response_url receiver.
    const chat = stdout.slice(stdout.indexOf('ChatOps before a CA rotation'));
    const answers = chat
      .split('acknowledged in the HTTP answer:\n')
      .slice(1)
      .map((part) => part.split('\n')[0]?.trim());
    expect(answers).toEqual([
      'Taking pre-maintenance snapshots of certctl-prod-db, certctl-ocsp-db for CHG-2001…',
      'Taking pre-maintenance snapshots of certctl-prod-db, certctl-ocsp-db for CHG-2001…',
      'HTTP 401: Request refused. (Slack shows its own error)',
      'HTTP 401: Request refused. (Slack shows its own error)',
      'you (U0INTERN) may not run `snapshot`; ask an operator listed in `chatops.permissions.snapshot`',
      'Checking readiness…',
    ]);
    expect(chat).toContain('Snapshot requests sent for 2 databases (CHG-2001)');
    expect(chat).toMatch(
      /:white_check_mark: \*certctl-prod-db\* \(aws\/111111111111\/eu-west-1\): `certctl-premaint-certctl-prod-db-[0-9a-f]{10}` restorable/,
    );
    expect(chat).toMatch(/:x: \*certctl-ocsp-db\* \(aws\/111111111111\/us-east-1\): .*SnapshotFailed/);
    expect(chat).toContain(':red_circle: *NO-GO*: 1 of 2 databases have no restorable snapshot.');
    expect(chat).toContain('no new snapshot was started');
    expect(chat).toMatch(
      /Snapshots created for the request and its retry: 2 \(one per database, once\); posts to its response_url: [1-5] of Slack's 5/,
    );
    expect(chat).toContain('*Readiness for the CA rotation: NO-GO*');
    // The demo policy maps no key material: the database's own line waits on audit:keys, never GO.
    expect(chat).toContain(
      '*certctl-prod-db* (aws/111111111111/eu-west-1): COULD NOT EVALUATE, 2 of 3 gates green',
    );
    expect(chat).toContain('COULD NOT EVALUATE `audit:keys`: not evaluated over the whole run');
    expect(chat).not.toContain('demo-slack-signing-secret');
  });
});
