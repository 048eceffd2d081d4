/**
 * The snapshot, prune and readiness commands through the CLI dispatcher against the simulator.
 */
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoRunRecords } from '../../functions/aws/run-records-table.ts';
import { runCli } from '../../functions/cli/cli.ts';
import {
  NO_KEYS_WAIVER,
  type SnapshotHarness,
  snapshotScenario,
  startSnapshotHarness,
  TAG,
} from '../integration/snapshot-support.ts';
import { type LocalDynamo, startLocalDynamo } from '../jobs/dynalite.ts';
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
  snapshots: {
    pollInitialSeconds: 0.05,
    pollMaxSeconds: 0.1,
    waitMinutes: 0.1,
    readinessWaivers: NO_KEYS_WAIVER,
  },
});

/** {@link POLICY} pruning by tags alone, for tests of prune with no run record store. */
const TAGS_ALONE_POLICY = JSON.stringify({
  ...JSON.parse(POLICY),
  snapshots: { ...JSON.parse(POLICY).snapshots, pruneByTagsAlone: true },
});

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return cliWith(POLICY, ...argv);
}

async function cliWith(
  policy: string,
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(
    [...argv, '--endpoint-url', harness.sim.endpoint, ...(argv[0] === 'snapshot' ? ['--quiet'] : [])],
    {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { BACKUP_GUARD_POLICY: policy, AWS_REGION: 'eu-west-1' },
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

  it('says on stderr each scope it has read, keeping stdout the JSON answer alone, and nothing with --quiet, when readiness runs', async () => {
    // Act
    const json = await cli('readiness', '--format', 'json');
    const quiet = await cli('readiness', '--format', 'json', '--quiet');

    // Assess: the audit's progress lines, as `audit` prints them; the answer itself unchanged.
    expect(json.stderr).toBe('[1/1] aws:111111111111/eu-west-1 pitr: 1 database\n');
    expect((JSON.parse(json.stdout) as { verdict: string }).verdict).toBe(
      (JSON.parse(quiet.stdout) as { verdict: string }).verdict,
    );
    expect(quiet.code).toBe(json.code);
    expect(quiet.stderr).toBe('');
  });

  it('says on stderr, while it waits, which snapshots it still waits for and for how long, and nothing with --quiet', async () => {
    // Prepare: the heartbeat every 20 ms instead of every minute; a snapshot takes 150 ms or more.
    const run = async (...extra: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(
        [
          'snapshot',
          '--reason',
          'CA rotation',
          '--format',
          'json',
          '--endpoint-url',
          harness.sim.endpoint,
          ...extra,
        ],
        {
          stdout: (t) => (stdout += t),
          stderr: (t) => (stderr += t),
          env: { BACKUP_GUARD_POLICY: POLICY, AWS_REGION: 'eu-west-1' },
        },
        { awsCredentials: simCredentials(), stillWaitingEveryMs: 20 },
      );
      return { code, stdout, stderr };
    };

    // Act
    const loud = await run('--ticket', 'CHG-WAIT-1');
    const quiet = await run('--ticket', 'CHG-WAIT-2', '--quiet');

    // Assess: between "creating" and "available", lines that say the run is alive; stdout the JSON.
    expect(loud.code).toBe(0);
    expect((JSON.parse(loud.stdout) as { counts: { available: number } }).counts.available).toBe(1);
    const waiting = loud.stderr.split('\n').filter((line) => line.startsWith('waiting for'));
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting[0]).toMatch(
      /^waiting for 1 snapshot to be available \(certctl-prod-db\): \d+ s so far, up to 6 s \(snapshots\.waitMinutes\)$/,
    );
    expect(loud.stderr.indexOf('waiting for')).toBeGreaterThan(
      loud.stderr.indexOf('certctl-prod-db: creating'),
    );
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('says on stderr once per run of like failures that a poll of the snapshot failed, naming the error, and nothing with --quiet', async () => {
    // Prepare: each call tried once, and DescribeDBSnapshots of our snapshot throttled, the first
    // `failedPolls` times (then the snapshot is seen available), or every time (until the deadline).
    const policy = JSON.stringify({ ...JSON.parse(POLICY), aws: { regions: ['eu-west-1'], maxAttempts: 1 } });
    const run = async (ticket: string, failedPolls: number | undefined, ...extra: string[]) => {
      harness.sim.setFaults({
        services: ['rds'],
        operations: ['DescribeDBSnapshots'],
        containing: `certctl-premaint-certctl-prod-db`,
        throttleRate: 1,
        ...(failedPolls === undefined ? {} : { failedAttempts: failedPolls }),
      });
      let stdout = '';
      let stderr = '';
      const code = await runCli(
        [
          'snapshot',
          '--reason',
          'CA rotation',
          '--ticket',
          ticket,
          '--endpoint-url',
          harness.sim.endpoint,
          ...extra,
        ],
        {
          stdout: (t) => (stdout += t),
          stderr: (t) => (stderr += t),
          env: { BACKUP_GUARD_POLICY: policy, AWS_REGION: 'eu-west-1' },
        },
        { awsCredentials: simCredentials() },
      ).finally(() => harness.sim.setFaults({}));
      return { code, stdout, stderr };
    };
    const failedLines = (stderr: string) =>
      stderr.split('\n').filter((line) => line.includes('could not be read'));

    // Act
    const recovers = await run('CHG-POLL-1', 3);
    const never = await run('CHG-POLL-2', undefined);
    const quiet = await run('CHG-POLL-3', undefined, '--quiet');

    // Assess: three failed polls in a row, one line; the answer as without the line.
    expect(recovers.code).toBe(0);
    expect(recovers.stdout).toMatch(/available aws\/111111111111\/eu-west-1\/certctl-prod-db: /);
    expect(failedLines(recovers.stderr)).toEqual([
      'certctl-prod-db: the state of its snapshot could not be read (Throttling: Rate exceeded); polled again until the deadline (snapshots.waitMinutes), and not said again while it fails alike',
    ]);
    // Every poll until the deadline failed: still one line, and the answer names the failed read.
    expect(never.code).toBe(1);
    expect(failedLines(never.stderr)).toHaveLength(1);
    expect(never.stdout).toMatch(
      /creating +aws\/111111111111\/eu-west-1\/certctl-prod-db: DeadlineExceeded: \S+ was last seen creating; the last read of its state before the deadline, 6 s after the wait began, failed \(Throttling: Rate exceeded\)/,
    );
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toBe('');
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

  it('refuses more than 50 --target names in one line, exit 2, before any call, as the Lambda refuses them', async () => {
    // Prepare: 51 distinct names, some repeated flags and some comma-separated.
    const names = Array.from({ length: 51 }, (_, i) => `db-${i}`);
    const requestsBefore = harness.sim.stats().requests;

    // Act
    const result = await cli(
      'snapshot',
      '--reason',
      'x',
      '--target',
      names.slice(0, 25).join(','),
      ...names.slice(25).flatMap((name) => ['--target', name]),
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'backup-guard: --target lists 51 names, more than the 50 databases one request may name; split them over requests, each with its own request id (--ticket or --request-id)\n',
    );
    expect(result.stdout).toBe('');
    expect(harness.sim.stats().requests).toBe(requestsBefore);
  });

  it('deletes nothing and says how to delete when prune runs without --apply', async () => {
    // Act
    const result = await cli('prune');

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Dry run: 0 would be deleted');
    expect(result.stdout).toContain('run with --apply to delete');
  });

  it.each([
    ['snapshot', '--reson', 'x'],
    ['prune', '--apply', '--dry-run'],
    ['readiness', '--format', 'xml'],
    ['snapshot', '--reason', 'x', '--wait', '--no-wait'],
    ['snapshot', '--reason', 'x', '--region', 'Ireland'],
  ])('exits 2 with one line naming the flag when given %s %s', async (...argv) => {
    // Act
    const result = await cli(...argv);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(result.stderr).toMatch(
      /--reson' for snapshot\. Did you mean '--reason'\?|--apply deletes and --dry-run only reports|--format must be one of table, json; got 'xml'|--wait and --no-wait contradict|--region 'Ireland' is not an AWS region name/,
    );
    expect(result.stdout).toBe('');
  });

  it.each(['snapshot', 'prune', 'readiness'])(
    'prints its options and exit codes for %s --help',
    async (command) => {
      // Act
      const result = await cli(command, '--help');

      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Usage: npx backup-guard ${command} \\[options\\]`));
      expect(result.stdout).toContain('Exit codes:');
    },
  );

  it('exits 2 naming the target when --target names no database', async () => {
    // Act
    const result = await cli('snapshot', '--reason', 'x', '--target', 'no-such-db');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('problem: target no-such-db was not found');
  });

  it('exits 2 naming the cluster to snapshot instead, and snapshots nothing, when --target names an Aurora member', async () => {
    // Prepare: the policy selects the cluster by its tag.
    const policy = JSON.stringify({
      ...JSON.parse(POLICY),
      targets: { tags: [{ key: 'certctl:backup-guard', value: 'enabled' }], identifiers: [] },
    });
    const createsBefore = harness.rds.snapshots.createCalls;

    // Act
    const result = await cliWith(policy, 'snapshot', '--reason', 'x', '--target', 'certctl-aurora-1');

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      'problem: target certctl-aurora-1 is an Aurora member of the cluster certctl-aurora (aws/111111111111/eu-west-1), and Aurora snapshots are of clusters',
    );
    expect(result.stdout).toContain('ask again naming the cluster certctl-aurora');
    expect(harness.rds.snapshots.createCalls).toBe(createsBefore);
  });

  it('exits 2, could not evaluate, when RDS cannot be read in the region', async () => {
    // Prepare
    harness.sim.setFaults({ downRegions: ['eu-west-1'], services: ['rds'] });

    // Act
    const result = await cli('readiness').finally(() => harness.sim.setFaults({}));

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^Readiness: COULD NOT EVALUATE$/m);
    expect(result.stdout).toMatch(/not evaluated: audit:pitr in aws\/111111111111\/eu-west-1\/pitr/);
  });
});

describe('prune command exit codes', () => {
  // Expired an hour ago, after the snapshots below were created (prune.ts notTakenHere).
  const EXPIRED = {
    purpose: 'certctl-pre-maintenance',
    'expires-at': new Date(Date.now() - 3_600_000).toISOString(),
  };
  /** An expired snapshot of ours of certctl-prod-db in eu-west-1, taken `createdAt` ago. */
  const ours = (id: string, createdAt: string, more: { attributesDenied?: boolean } = {}) => ({
    id,
    target: 'certctl-prod-db',
    region: 'eu-west-1',
    createdAt,
    tags: EXPIRED,
    ...more,
  });

  it.each([
    ['--apply', 'Pruned: 0 deleted, 1 kept, 1 undecided'],
    ['--dry-run', 'Dry run: 0 would be deleted, 1 kept, 1 undecided'],
  ])(
    'exits 2, not 0, with the snapshot UNDECIDED and its error, when who it is shared with may not be read (%s)',
    async (mode, summary) => {
      // Prepare: the old snapshot is due for deletion; the credentials may not read its restore attribute.
      const local = await startSnapshotHarness(
        snapshotScenario({
          existing: [
            ours('certctl-premaint-old', '-40d', { attributesDenied: true }),
            ours('certctl-premaint-new', '-20d'),
          ],
        }),
      );
      let stdout = '';
      try {
        // Act
        const code = await runCli(
          ['prune', mode, '--endpoint-url', local.sim.endpoint],
          {
            stdout: (t) => (stdout += t),
            stderr: () => undefined,
            // About the sharing read: prune by tags alone (no run record store in this test).
            env: { BACKUP_GUARD_POLICY: TAGS_ALONE_POLICY, AWS_REGION: 'eu-west-1' },
          },
          { awsCredentials: simCredentials() },
        );

        // Assess
        expect(code).toBe(2);
        expect(stdout.split('\n')[0]).toContain(summary);
        expect(stdout).toMatch(
          /UNDECIDED 111111111111\/eu-west-1\/certctl-premaint-old \(certctl-prod-db\): who it is shared with was not read \(AccessDenied: /,
        );
        expect(local.rds.snapshots.snapshots().map((s) => s.id)).toContain('certctl-premaint-old');
      } finally {
        await local.close();
      }
    },
  );
});

describe('prune command with run records in the idempotency table', () => {
  // Expired an hour ago, after the snapshots below were created (prune.ts notTakenHere).
  const EXPIRED = {
    purpose: 'certctl-pre-maintenance',
    'expires-at': new Date(Date.now() - 3_600_000).toISOString(),
  };
  const ours = (id: string, createdAt: string) => ({
    id,
    target: 'certctl-prod-db',
    region: 'eu-west-1',
    createdAt,
    tags: EXPIRED,
  });
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });

  afterAll(async () => {
    await dynamo.close();
  });

  /** `prune --apply` over the old and the new snapshot, with the records table; stdout and what is left. */
  async function pruneWithTable(): Promise<{ code: number; stdout: string; remaining: string[] }> {
    const local = await startSnapshotHarness(
      snapshotScenario({
        existing: [ours('certctl-premaint-old', '-40d'), ours('certctl-premaint-new', '-20d')],
      }),
    );
    const policy = JSON.stringify({
      ...JSON.parse(POLICY),
      snapshots: { ...JSON.parse(POLICY).snapshots, idempotencyTable: dynamo.tableName },
    });
    let stdout = '';
    try {
      const code = await runCli(
        [
          'prune',
          '--apply',
          '--endpoint-url',
          local.sim.endpoint,
          '--dynamodb-endpoint-url',
          dynamo.endpoint,
        ],
        {
          stdout: (t) => (stdout += t),
          stderr: () => undefined,
          env: { BACKUP_GUARD_POLICY: policy, AWS_REGION: 'eu-west-1' },
        },
        { awsCredentials: simCredentials() },
      );
      return { code, stdout, remaining: local.rds.snapshots.snapshots().map((s) => s.id) };
    } finally {
      await local.close();
    }
  }

  it('keeps an expired snapshot of ours by its tags that no run record names, saying why', async () => {
    // Act
    const { code, stdout, remaining } = await pruneWithTable();

    // Assess
    expect(code).toBe(0);
    expect(remaining).toContain('certctl-premaint-old');
    expect(stdout).toContain(
      `keep   111111111111/eu-west-1/certctl-premaint-old (certctl-prod-db): its tags claim backup-guard took it, but no run record of ours (DynamoDB table ${dynamo.tableName}) names it: not proven a snapshot backup-guard took: kept`,
    );
  });

  /** Writes the record `snapshot` writes when it creates `snapshotId` of certctl-prod-db. */
  const record = (snapshotId: string) =>
    dynamoRunRecords(dynamo.client, dynamo.tableName).write(
      {
        provider: 'aws',
        account: '111111111111',
        region: 'eu-west-1',
        kind: 'rds-instance',
        target: 'certctl-prod-db',
        snapshotId,
      },
      new Date(Date.now() + 30 * 86_400_000),
    );

  it('keeps the expired snapshot a run record names while the newer one no record names is no restore point, saying why', async () => {
    // Prepare: the old one recorded, the newer one not (tagged as ours outside backup-guard).
    await record('certctl-premaint-old');

    // Act
    const { code, stdout, remaining } = await pruneWithTable();

    // Assess
    expect(code).toBe(0);
    expect(remaining).toEqual(['certctl-premaint-old', 'certctl-premaint-new']);
    expect(stdout).toContain(
      `keep   111111111111/eu-west-1/certctl-premaint-old (certctl-prod-db): newest successful snapshot of certctl-prod-db that a run record of ours names (newer certctl-premaint-new: its tags claim backup-guard took it, but no run record of ours (DynamoDB table ${dynamo.tableName}) names it: not counted as a restore point)`,
    );
  });

  it('deletes the expired snapshot a run record in the table names when a recorded newer one is its restore point', async () => {
    // Prepare: the records `snapshot` writes when it creates each.
    await record('certctl-premaint-old');
    await record('certctl-premaint-new');

    // Act
    const { code, stdout, remaining } = await pruneWithTable();

    // Assess
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toContain('Pruned: 1 deleted');
    expect(remaining).not.toContain('certctl-premaint-old');
  });
});

describe('snapshot command with an idempotency table', () => {
  let dynamo: LocalDynamo;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });

  afterAll(async () => {
    await dynamo.close();
  });

  it('exits 2 in one line naming the table and DynamoDB’s error, and snapshots nothing, when the idempotency table does not exist', async () => {
    // Prepare
    const policy = JSON.stringify({
      ...JSON.parse(POLICY),
      snapshots: { ...JSON.parse(POLICY).snapshots, idempotencyTable: 'certctl-no-such-table' },
    });
    const creates = harness.rds.snapshots.createCalls;
    let stdout = '';
    let stderr = '';

    // Act
    const code = await runCli(
      [
        'snapshot',
        '--reason',
        'CA rotation',
        '--ticket',
        'CHG-NO-TABLE',
        '--endpoint-url',
        harness.sim.endpoint,
        '--dynamodb-endpoint-url',
        dynamo.endpoint,
        '--quiet',
      ],
      {
        stdout: (t) => (stdout += t),
        stderr: (t) => (stderr += t),
        env: { BACKUP_GUARD_POLICY: policy, AWS_REGION: 'eu-west-1' },
      },
      { awsCredentials: simCredentials() },
    );

    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(stderr).not.toContain('unexpected error');
    expect(stderr).toMatch(
      /^backup-guard: the idempotency table certctl-no-such-table could not be written \(ResourceNotFoundException: .+\), so request ticket:CHG-NO-TABLE was not run: nothing was snapshotted for it\. /,
    );
    expect(harness.rds.snapshots.createCalls).toBe(creates);
  });

  it('writes a run record of each snapshot it takes, which prune reads back', async () => {
    // Prepare
    const policy = JSON.stringify({
      ...JSON.parse(POLICY),
      snapshots: { ...JSON.parse(POLICY).snapshots, idempotencyTable: dynamo.tableName },
    });
    const before = new Set(harness.rds.snapshots.snapshots().map((s) => s.id));

    // Act
    const code = await runCli(
      [
        'snapshot',
        '--reason',
        'CA rotation',
        '--ticket',
        'CHG-RECORDED',
        '--endpoint-url',
        harness.sim.endpoint,
        '--dynamodb-endpoint-url',
        dynamo.endpoint,
        '--quiet',
      ],
      {
        stdout: () => undefined,
        stderr: () => undefined,
        env: { BACKUP_GUARD_POLICY: policy, AWS_REGION: 'eu-west-1' },
      },
      { awsCredentials: simCredentials() },
    );

    // Assess
    expect(code).toBe(0);
    const taken = harness.rds.snapshots.snapshots().find((s) => !before.has(s.id));
    const records = await dynamoRunRecords(dynamo.client, dynamo.tableName).read(
      { provider: 'aws', account: '111111111111', region: 'eu-west-1' },
      [
        {
          id: taken?.id ?? '',
          kind: 'rds-instance',
          target: 'certctl-prod-db',
          status: 'available',
          tags: {},
        },
      ],
    );
    expect(records).toEqual([
      {
        provider: 'aws',
        account: '111111111111',
        region: 'eu-west-1',
        kind: 'rds-instance',
        target: 'certctl-prod-db',
        snapshotId: taken?.id,
        ref: `arn:aws:rds:eu-west-1:111111111111:snapshot:${taken?.id}`,
      },
    ]);
  });

  it('takes the next attempt instead of replaying the failure, then replays the success, when the ticket is run again after its snapshot failed', async () => {
    // Prepare
    const broken = { id: 'certctl-broken-db', region: 'us-east-1' };
    const policy = JSON.stringify({
      aws: { regions: ['us-east-1'] },
      pitr: { minPitrDays: 7 },
      targets: { tags: [], identifiers: [broken.id] },
      snapshots: {
        pollInitialSeconds: 0.05,
        pollMaxSeconds: 0.1,
        waitMinutes: 0.1,
        readinessWaivers: NO_KEYS_WAIVER,
        idempotencyTable: dynamo.tableName,
      },
    });
    const snapshot = async () => {
      let stdout = '';
      const code = await runCli(
        [
          'snapshot',
          '--reason',
          'CA rotation',
          '--ticket',
          'CHG-FAILED-1',
          '--endpoint-url',
          harness.sim.endpoint,
          '--dynamodb-endpoint-url',
          dynamo.endpoint,
          '--quiet',
        ],
        {
          stdout: (t) => (stdout += t),
          stderr: () => undefined,
          env: { BACKUP_GUARD_POLICY: policy, AWS_REGION: 'eu-west-1' },
        },
        { awsCredentials: simCredentials() },
      );
      return { code, stdout };
    };
    const first = await snapshot();
    const creates = harness.rds.snapshots.createCalls;
    harness.rds.snapshots.setFailing(broken, false);
    try {
      // Run again later than the first finished (here at least at another millisecond).
      await sleep(2);

      // Act
      const again = await snapshot();
      await sleep(2);
      const afterSuccess = await snapshot();

      // Assess
      expect(first.code).toBe(1);
      expect(first.stdout).toMatch(
        / {2}failed {4}aws\/111111111111\/us-east-1\/certctl-broken-db: SnapshotFailed/,
      );
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(
        /available aws\/111111111111\/us-east-1\/certctl-broken-db: \S+certctl-premaint-certctl-broken-db-[0-9a-f]{10}-a2, /,
      );
      expect(afterSuccess).toEqual(again);
      expect(harness.rds.snapshots.createCalls).toBe(creates + 1);
    } finally {
      harness.rds.snapshots.setFailing(broken, true);
    }
  });

  it('prints the snapshot taken and warns, exit 0, when the idempotency table takes the claim but refuses the result', async () => {
    // Prepare: a proxy in front of the table that refuses every UpdateItem (the result's write).
    const proxy = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (String(request.headers['x-amz-target']).endsWith('.UpdateItem')) {
          response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          response.end(
            JSON.stringify({ __type: 'com.amazon.coral.validate#ValidationException', message: 'refused' }),
          );
          return;
        }
        const forwarded = httpRequest(
          `${dynamo.endpoint}${request.url ?? '/'}`,
          { method: request.method, headers: request.headers },
          (answer) => {
            response.writeHead(answer.statusCode ?? 500, answer.headers);
            answer.pipe(response);
          },
        );
        forwarded.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    const policy = JSON.stringify({
      ...JSON.parse(POLICY),
      snapshots: { ...JSON.parse(POLICY).snapshots, idempotencyTable: dynamo.tableName },
    });
    const creates = harness.rds.snapshots.createCalls;
    try {
      // Act
      const result = await cliWith(
        policy,
        'snapshot',
        '--reason',
        'CA rotation',
        '--ticket',
        'CHG-UNRECORDED-1',
        '--dynamodb-endpoint-url',
        `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      );

      // Assess: the snapshot is reported, with a warning that the result was not recorded.
      expect(harness.rds.snapshots.createCalls).toBe(creates + 1);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/available aws\/111111111111\/eu-west-1\/certctl-prod-db: /);
      expect(result.stderr).toMatch(/warning: the snapshot result was not recorded in the idempotency table/);
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('exits 1 naming the earlier database, not "snapshot taken", when the ticket is run again after the database was deleted and created again under its name', async () => {
    // Prepare
    const policy = JSON.parse(POLICY);
    policy.snapshots.idempotencyTable = dynamo.tableName;
    const snapshot = async () => {
      let stdout = '';
      const code = await runCli(
        [
          'snapshot',
          '--reason',
          'CA rotation',
          '--ticket',
          'CHG-REBIRTH-1',
          '--endpoint-url',
          harness.sim.endpoint,
          '--dynamodb-endpoint-url',
          dynamo.endpoint,
          '--quiet',
        ],
        {
          stdout: (t) => (stdout += t),
          stderr: () => undefined,
          env: { BACKUP_GUARD_POLICY: JSON.stringify(policy), AWS_REGION: 'eu-west-1' },
        },
        { awsCredentials: simCredentials() },
      );
      return { code, stdout };
    };
    const first = await snapshot();
    harness.rds.store.recreateInstance({
      id: 'certctl-prod-db',
      region: 'eu-west-1',
      tags: TAG,
      backupRetentionPeriod: 14,
    });
    const creates = harness.rds.snapshots.createCalls;

    // Act
    const again = await snapshot();

    // Assess
    expect(first.code).toBe(0);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(
      /certctl-prod-db: SnapshotOfEarlierDatabase: certctl-premaint-certctl-prod-db-[0-9a-f]{10} is of an earlier database named certctl-prod-db/,
    );
    expect(harness.rds.snapshots.createCalls).toBe(creates);
  });
});
