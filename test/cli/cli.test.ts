import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, COMMANDS, describePublication, HELP, runCli } from '../../functions/cli/cli.ts';
import type { Check } from '../../functions/core/check.ts';
import type { ResourceRef } from '../../functions/core/finding.ts';
import { defineCheckGroup, registerCheckGroup } from '../../functions/jobs/groups.ts';
import { simCredentials } from '../sim/accounts.ts';
import { loadScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { captureIo } from './support.ts';

const run = promisify(execFile);

/** What a test group's collector reads: a bucket and how old its canary object is. */
interface CanaryFact {
  readonly resource: ResourceRef;
  readonly ageHours: number;
}

/** What `backup-guard <name> --help` prints. */
async function helpOf(name: string): Promise<string> {
  const io = captureIo();
  await runCli([name, '--help'], io);
  return io.out();
}

describe('backup-guard CLI', () => {
  it('says "unexpected error" with the stack and exits 2 when something other than a known error is thrown', async () => {
    // Prepare: stdout breaks (a closed pipe) while the catalog is printed.
    const io = captureIo();
    const broken: CliIo = {
      ...io,
      stdout: () => {
        throw new TypeError('write EPIPE');
      },
    };

    // Act
    const code = await runCli(['checks'], broken);

    // Assess
    expect(code).toBe(2);
    expect(io.err()).toMatch(/^backup-guard: unexpected error: TypeError: write EPIPE\n\s+at /);
  });

  it('says apart in the publication summary the findings archived because their check is off or gone', () => {
    // Prepare
    const counts = {
      created: 0,
      updated: 0,
      resolved: 0,
      archived: 1,
      retired: 2,
      refreshed: 0,
      keptAlive: 0,
      unchanged: 5,
      untouched: 0,
      failed: 0,
    };

    // Act
    const summary = describePublication({
      status: 'published',
      counts,
      calls: { batchImport: 1, getFindings: 1, ledgerRead: 0, ledgerWrite: 0 },
      ledger: { used: 0, reconciled: 1, written: 0, problems: 0, adopted: 0, unrecorded: 0, redated: 0 },
      failedCount: 0,
      failedByCode: {},
      failures: [],
      unreadCount: 0,
      unread: [],
    });

    // Assess
    expect(summary).toContain(
      '1 archived (resource gone), 2 archived (check turned off by the policy, check or group no longer in the catalog, or region no longer in aws.regions), ',
    );
    expect(summary).not.toContain('no longer audited');
  });

  it('says in the publication summary the regions no longer audited whose findings the run could not archive', () => {
    // Prepare: what the publisher reports (publisher.ts UnauditedRegion), passed on by jobs/publish.ts.
    const counts = {
      created: 0,
      updated: 0,
      resolved: 0,
      archived: 0,
      retired: 0,
      refreshed: 0,
      keptAlive: 0,
      unchanged: 0,
      untouched: 0,
      failed: 0,
    };
    const region = (name: string, findings: number, failed: number) => ({
      account: '111111111111',
      region: name,
      findings,
      failed,
      groups: ['dumps', 'pitr'],
      deletedBy: '2027-02-19T12:00:00.000Z',
      retire: `archive or resolve them with credentials that may call Security Hub in ${name}`,
    });

    // Act
    const summary = describePublication({
      status: 'published',
      counts,
      calls: { batchImport: 0, getFindings: 0, ledgerRead: 2, ledgerWrite: 0 },
      ledger: { used: 0, reconciled: 0, written: 0, problems: 0, adopted: 0, unrecorded: 0, redated: 0 },
      failedCount: 0,
      failedByCode: {},
      failures: [],
      unreadCount: 0,
      unread: [],
      unaudited: [region('eu-west-3', 4, 2), region('ap-south-1', 1, 0)],
    });

    // Assess: each region with its count and what to do, as the publisher words it (its `retire`
    // already says when Security Hub deletes them).
    expect(summary.split('\n').slice(1)).toEqual([
      '  2 regions no longer in aws.regions still hold active findings this run may not archive (not a failure of this run):',
      '  not archived: 111111111111/eu-west-3: 4 findings (2 FAILED; groups dumps, pitr): archive or resolve them with credentials that may call Security Hub in eu-west-3',
      '  not archived: 111111111111/ap-south-1: 1 finding (0 FAILED; groups dumps, pitr): archive or resolve them with credentials that may call Security Hub in ap-south-1',
    ]);
  });

  it('says whose exit codes the top help lists, since every other command gives its own in its --help', () => {
    // The top help's codes are the audit's (1: a check failed); prune's 1 is a delete that failed
    // and readiness's 1 is NO-GO, each in its own --help; checks and init exit 0 or 2.
    const own = COMMANDS.filter((command) => /^Exit codes:$/m.test(command.details ?? '')).map(
      (command) => command.name,
    );
    expect(own).toEqual(COMMANDS.map((command) => command.name));
    expect(HELP).toContain(
      'Exit codes of audit (snapshot, prune, readiness, checks and init: see their --help):',
    );
  });

  it('documents in the --help of checks and init the exit codes they return: 0 done, 2 bad input', async () => {
    // Prepare: a file that exists, which init never overwrites.
    const dir = await mkdtemp(join(tmpdir(), 'cli-exit-codes-'));
    const taken = join(dir, 'taken.yaml');
    await writeFile(taken, 'pitr: {}\n');
    const io = captureIo();

    // Act
    const codes = {
      checks: [await runCli(['checks'], io), await runCli(['checks', '--group', 'nope'], io)],
      init: [await runCli(['init', join(dir, 'new.yaml')], io), await runCli(['init', taken], io)],
    };
    const helps = {
      checks: (await helpOf('checks')).replaceAll(/\s+/g, ' '),
      init: (await helpOf('init')).replaceAll(/\s+/g, ' '),
    };

    // Assess: the codes returned are the ones documented, and only those.
    expect(codes).toEqual({ checks: [0, 2], init: [0, 2] });
    expect(helps.checks).toContain(
      'Exit codes: 0 the catalog was printed 2 the input was bad (an unknown --format or --group)',
    );
    expect(helps.init).toContain(
      'Exit codes: 0 the starter policy was written (its name and the next command on stderr) 2 nothing was written: the file exists (never overwritten), its name is not .yaml or .yml, its directory is missing or not writable, or the input was bad',
    );
    for (const help of Object.values(helps)) expect(help).not.toMatch(/ 1 /);
  });

  it('says a run with no command is a usage error: a short usage on stderr, nothing on stdout, exit 2', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli([], io);

    // Assess: as an unknown command is said (one line, what to run next), not the help on stdout,
    // which a script reading stdout would take for an answer.
    expect(code).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      "backup-guard: no command given. Usage: npx backup-guard <command> [options]; commands: audit, checks, snapshot, prune, readiness, init, help. Run 'backup-guard --help'.\n",
    );
    expect(HELP.replaceAll(/\s+/g, ' ')).toContain(
      'Without a command, or with a bad one or a bad option, backup-guard says what is wrong in one line on stderr and exits 2; --help prints to stdout and exits 0.',
    );
  });

  it('explains the STS region fallback when asked for help', () => {
    const help = HELP.replaceAll(/\s+/g, ' ');
    expect(help).toContain('moving to the next when one fails. With no region configured: us-east-1,');
    expect(help).toContain('or us-gov-west-1 / cn-north-1 when the member role ARNs are in GovCloud / China');
    expect(help).toContain(
      'in $AWS_REGION, else $AWS_DEFAULT_REGION, else the region of the AWS profile ($AWS_PROFILE, else default, in ~/.aws/config or $AWS_CONFIG_FILE, and in ~/.aws/credentials or $AWS_SHARED_CREDENTIALS_FILE, which wins) when set,',
    );
    expect(help).toContain('an $AWS_REGION or profile region of another partition, are refused');
  });

  it('refuses a --region that is not spelled like an AWS region, naming it and the region it likely means, when the audit starts', async () => {
    // A typo of the direction (eu-wst-1) would otherwise reach the cloud and fail as a DNS error.
    const cases = [
      ['moon-1', ''],
      ['EU_WEST_1', " Did you mean 'eu-west-1'?"],
      ['eu-wst-1', " Did you mean 'eu-west-1'?"],
      ['ap-southest-2', " Did you mean 'ap-southeast-2'?"],
      ['us-middle-1', ''],
    ];
    for (const [region, hint] of cases) {
      // Prepare
      const io = captureIo();

      // Act
      const code = await runCli(['audit', '--region', region ?? ''], io, {
        awsCredentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      });

      // Assess
      expect(code).toBe(2);
      expect(io.err()).toBe(
        `backup-guard: --region '${region}' is not an AWS region name such as eu-west-1.${hint}\n`,
      );
    }
  });

  it('prints the help with the exit codes when asked for help', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['--help'], io);

    // Assess
    expect(code).toBe(0);
    expect(io.out()).toBe(HELP);
    expect(HELP).toContain('2  the audit could not complete');
  });

  it('names the bad option and exits 2 when an argument is wrong', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const badFormat = await runCli(['audit', '--format', 'xml'], io);
    const unknown = await runCli(['audit', '--colour'], io);
    const command = await runCli(['restore'], io);

    // Assess
    expect([badFormat, unknown, command]).toEqual([2, 2, 2]);
    expect(io.err()).toContain("--format must be one of table, json, markdown, html, csv, asff; got 'xml'");
    expect(io.err()).toContain("Unknown option '--colour'");
    expect(io.err()).toContain("unknown command 'restore'");
  });

  it('names the bad policy field and exits 2 when the policy is invalid', async () => {
    // Prepare
    const io = captureIo({ BACKUP_GUARD_POLICY: '{"pitr": {"minPitrDays": 0}}' });

    // Act
    const code = await runCli(['audit'], io);

    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain('BACKUP_GUARD_POLICY is invalid:');
    expect(io.err()).toContain('minPitrDays');
  });

  it('lists every check with its severity', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['checks'], io);

    // Assess
    expect(code).toBe(0);
    for (const id of [
      'pitr.enabled',
      'pitr.retention',
      'pitr.window',
      'pitr.lag',
      'pitr.deletion-protection',
      'pitr.cross-region',
    ]) {
      expect(io.out()).toContain(id);
    }
  });

  it('says there are no credentials and points to the demo when none are configured', async () => {
    // Prepare: a clean environment; instance metadata disabled so nothing leaves the machine.
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };

    // Act
    const result = await run(process.execPath, ['functions/cli/main.ts', 'audit', '--region', 'eu-west-1'], {
      env,
    }).catch((error: { code: number; stdout: string; stderr: string }) => error);

    // Assess
    expect(result).toMatchObject({ code: 2 });
    expect((result as { stderr: string }).stderr).toContain('No AWS credentials found');
    expect((result as { stderr: string }).stderr).toContain('npm run demo');
  });

  it('names the variable missing beside the other, never its value, when only half of an access key is in the environment', async () => {
    // Prepare: nothing else to fall back on; instance metadata disabled so nothing leaves the machine.
    const secret = 'CANARY-secret-access-key-9b7e';
    const base = {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent',
      AWS_CONFIG_FILE: '/nonexistent/config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const audit = (env: Record<string, string>) =>
      run(process.execPath, ['functions/cli/main.ts', 'audit', '--region', 'eu-west-1'], {
        env: { ...base, ...env },
      }).catch((error: { code: number; stdout: string; stderr: string }) => error);

    // Act
    const noSecret = (await audit({ AWS_ACCESS_KEY_ID: 'AKIA111111111111SIMK' })) as {
      code: number;
      stderr: string;
    };
    const noKeyId = (await audit({ AWS_SECRET_ACCESS_KEY: secret })) as { code: number; stderr: string };

    // Assess: the SDK passes over half a key; "no credentials found" alone sent the reader to SSO.
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(
      /^backup-guard: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not/,
    );
    expect(noSecret.stderr).not.toContain('AKIA111111111111SIMK');
    expect(noKeyId.code).toBe(2);
    expect(noKeyId.stderr).toMatch(
      /^backup-guard: AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not/,
    );
    expect(noKeyId.stderr).not.toContain(secret);
    for (const result of [noSecret, noKeyId])
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('backup-guard audit against the simulator', () => {
  let sim: Sim;
  const overrides = (): { awsCredentials: ReturnType<typeof simCredentials> } => ({
    awsCredentials: simCredentials(),
  });

  beforeAll(async () => {
    sim = await startSim({
      scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml', 'test/sim/scenarios/demo-gcp.yaml'),
    });
  });

  afterAll(async () => {
    await sim.close();
  });

  it('prints the ASFF findings it would import, valid and one per check and database, when --format asff', async () => {
    // Prepare
    const io = captureIo({ AWS_REGION: 'eu-west-1' });

    // Act
    const code = await runCli(
      ['audit', '--region', 'eu-west-1', '--format', 'asff', '--quiet', '--endpoint-url', sim.endpoint],
      io,
      overrides(),
    );

    // Assess
    expect(code).toBe(1);
    const { Findings } = JSON.parse(io.out()) as { Findings: Record<string, unknown>[] };
    expect(Findings.length).toBeGreaterThan(5);
    for (const finding of Findings) {
      expect(finding).toMatchObject({
        SchemaVersion: '2018-10-08',
        ProductArn: 'arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default',
        AwsAccountId: '111111111111',
        RecordState: 'ACTIVE',
      });
    }
    expect(Findings.map((f) => f.Id)).toContain(
      'certctl-backup-guard/pitr.retention/arn:aws:rds:eu-west-1:111111111111:db:certctl-staging-db',
    );
    expect(io.err()).toBe('');
  });

  it('warns on stderr and in the report of a policy exception that names no resource its check judged', async () => {
    // Prepare: `certctl-ocps-db`, a typo of certctl-ocsp-db; the run covers the whole policy.
    const io = captureIo();
    const policy = join(await mkdtemp(join(tmpdir(), 'cli-')), 'policy.json');
    const exception = {
      account: '111111111111',
      check: 'pitr.lag',
      reason: 'the OCSP database lags during the migration',
      expires: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
    };
    await writeFile(
      policy,
      JSON.stringify({
        aws: { regions: ['us-east-1'] },
        exceptions: [{ ...exception, resource: 'certctl-ocps-db' }],
      }),
    );

    // Act
    const code = await runCli(
      ['audit', '--policy', policy, '--format', 'json', '--quiet', '--endpoint-url', sim.endpoint],
      io,
      overrides(),
    );

    // Assess: a warning, not a failure of the run.
    expect(code).toBe(1);
    const warning =
      "policy exceptions.0 ('certctl-ocps-db' in 111111111111) for pitr.lag names no resource that check judged in this run, so it applies to nothing: check its resource (and account, region)";
    expect(io.err()).toBe(`backup-guard: warning: ${warning}\n`);
    expect((JSON.parse(io.out()) as { unusedExceptions: string[] }).unusedExceptions).toEqual([warning]);
  });

  it('says in the table, the JSON and the HTML report that a check judged one resource twice with two results, and exits 2', async () => {
    // Prepare: a registered group whose collector (a defect) yields one bucket twice, read two ways.
    const check: Check<CanaryFact> = {
      metadata: {
        id: 'canary.fresh',
        group: 'canary',
        title: 'The canary object is fresh',
        failedTitle: 'The canary object is stale',
        severity: 'LOW',
        rationale: 'test',
        remediation: { text: 'Write the canary again.', url: 'https://example.com/canary' },
        resourceTypes: ['AwsS3Bucket'],
      },
      evaluate: (fact) => ({
        status: fact.ageHours <= 24 ? 'PASSED' : 'FAILED',
        description: `The canary is ${fact.ageHours} hours old.`,
        observed: { ageHours: fact.ageHours },
        required: { ageHours: 24 },
      }),
    };
    const bucket = (name: string, ageHours: number, account: string, region: string): CanaryFact => ({
      resource: {
        provider: 'aws',
        account,
        region,
        type: 'AwsS3Bucket',
        id: name,
        arn: `arn:aws:s3:::${name}`,
      },
      ageHours,
    });
    const unregister = registerCheckGroup(
      defineCheckGroup<CanaryFact>({
        name: 'canary',
        summary: 'a canary group for this test',
        checks: [check],
        collect: {
          aws: async ({ account, region }) => [
            bucket('canary-ok', 1, account.accountId, region),
            bucket('canary-twice', 1, account.accountId, region),
            bucket('canary-twice', 72, account.accountId, region),
          ],
        },
      }),
    );
    const dir = await mkdtemp(join(tmpdir(), 'cli-'));
    const args = ['audit', '--group', 'canary', '--region', 'us-east-1', '--endpoint-url', sim.endpoint];
    try {
      // Act
      const table = captureIo();
      const tableCode = await runCli([...args, '--quiet'], table, overrides());
      const files = captureIo();
      const filesCode = await runCli(
        [...args, '--format', 'json,html', '--output-dir', dir],
        files,
        overrides(),
      );

      // Assess
      const said =
        'Internal error: check canary.fresh gave 2 different results for canary-twice in one run (PASSED: "The canary is 1 hours old."; FAILED: "The canary is 72 hours old."), which would be one finding in Security Hub, so neither is reported.';
      expect([tableCode, filesCode]).toEqual([2, 2]);
      expect(table.out().replace(/\s+/g, ' ')).toContain(said);
      expect(table.out()).toContain(
        'the audit could not complete: 1 check could not be evaluated on 1 dump series',
      );
      const json = JSON.parse(await readFile(join(dir, 'backup-guard-audit.json'), 'utf8')) as {
        findings: { resource: { id: string }; status: string; description: string }[];
      };
      expect(json.findings.map((f) => `${f.resource.id} ${f.status}`).sort()).toEqual([
        'canary-ok PASSED',
        'canary-twice NOT_AVAILABLE',
      ]);
      expect(json.findings.find((f) => f.status === 'NOT_AVAILABLE')?.description).toContain(said);
      const html = await readFile(join(dir, 'backup-guard-audit.html'), 'utf8');
      expect(html).toContain(said.replaceAll('"', '&quot;'));
    } finally {
      unregister();
    }
  });

  it('writes the report to --output and reports progress on stderr', async () => {
    // Prepare
    const io = captureIo();
    const file = join(await mkdtemp(join(tmpdir(), 'cli-')), 'audit.md');

    // Act
    const code = await runCli(
      [
        'audit',
        '--region',
        'us-east-1',
        '--format',
        'markdown',
        '--output',
        file,
        '--endpoint-url',
        sim.endpoint,
      ],
      io,
      overrides(),
    );

    // Assess
    expect(code).toBe(1);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('[1/1] aws:111111111111/us-east-1 pitr: 3 databases');
    expect(io.err()).toContain(`Report written to ${file}`);
    expect(await readFile(file, 'utf8')).toContain('| FAILED | HIGH | `pitr.lag` |');
  });

  it('writes one self-contained HTML page with a restore-window bar per database when --format html --output x.html', async () => {
    // Prepare
    const io = captureIo();
    const file = join(await mkdtemp(join(tmpdir(), 'cli-')), 'x.html');

    // Act
    const code = await runCli(
      [
        'audit',
        '--region',
        'us-east-1',
        '--format',
        'html',
        '--output',
        file,
        '--quiet',
        '--endpoint-url',
        sim.endpoint,
      ],
      io,
      overrides(),
    );

    // Assess
    expect(code).toBe(1);
    expect(io.out()).toBe('');
    const html = await readFile(file, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|\ssrc=|url\(/i);
    expect(html.match(/<article class="database /g)).toHaveLength(3);
    expect(html).toContain('<div class="track"');
  });

  it('audits Cloud SQL only with --provider gcp and needs no AWS credentials without --publish', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(
      [
        'audit',
        '--provider',
        'gcp',
        '--project',
        'certctl-prod',
        '--gcp-endpoint-url',
        sim.endpoint,
        '--format',
        'json',
      ],
      io,
    );

    // Assess
    expect(code).toBe(1);
    const report = JSON.parse(io.out()) as { findings: { resource: { provider: string } }[] };
    expect(new Set(report.findings.map((f) => f.resource.provider))).toEqual(new Set(['gcp']));
  });

  it('audits Cloud SQL only whatever $AWS_ENDPOINT_URL holds, since no AWS client is made, and AWS only whatever $BACKUP_GUARD_CLOUDSQL_ENDPOINT holds', async () => {
    // Prepare: each variable left over from another run, holding no URL (no scheme).
    const gcpIo = captureIo({ AWS_ENDPOINT_URL: 'localhost:4566' });
    const awsIo = captureIo({ BACKUP_GUARD_CLOUDSQL_ENDPOINT: 'localhost:4566' });

    // Act
    const gcpCode = await runCli(
      [
        'audit',
        '--provider',
        'gcp',
        '--project',
        'certctl-prod',
        '--gcp-endpoint-url',
        sim.endpoint,
        '--quiet',
      ],
      gcpIo,
    );
    const awsCode = await runCli(
      ['audit', '--region', 'eu-west-1', '--endpoint-url', sim.endpoint, '--quiet'],
      awsIo,
      overrides(),
    );

    // Assess: both audited (exit 1: the demo has findings), neither refused for the other cloud's variable.
    expect({ code: gcpCode, err: gcpIo.err() }).toEqual({ code: 1, err: '' });
    expect({ code: awsCode, err: awsIo.err() }).toEqual({ code: 1, err: '' });
  });

  it('writes every other report and exits 2 when one format cannot be rendered', async () => {
    // Prepare: no securityHub.centralAccountId, so the GCP findings have no Security Hub to go to (asff).
    const dir = await mkdtemp(join(tmpdir(), 'cli-gcp-formats-'));
    const io = captureIo();

    // Act
    const code = await runCli(
      [
        'audit',
        '--provider',
        'gcp',
        '--project',
        'certctl-prod',
        '--gcp-endpoint-url',
        sim.endpoint,
        '--quiet',
        '--output-dir',
        dir,
        '--format',
        'json,asff,html',
      ],
      io,
    );

    // Assess
    expect(code).toBe(2);
    expect(io.err()).toContain('could not render the asff report');
    expect(io.err()).toContain('securityHub.centralAccountId');
    expect(await readFile(join(dir, 'backup-guard-audit.json'), 'utf8')).toContain('"findings"');
    expect(await readFile(join(dir, 'backup-guard-audit.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('refuses --publish of a run reading GCP, before any call, when the policy names no central account for its findings', async () => {
    // Prepare: Security Hub takes findings only for the calling account; GCP's go to
    // securityHub.centralAccountId, which this policy (all defaults) leaves out.
    const io = captureIo();
    sim.resetStats();

    // Act
    const codes = [
      await runCli(
        ['audit', '--provider', 'all', '--project', 'certctl-prod', '--publish', '--quiet'].concat([
          '--endpoint-url',
          sim.endpoint,
          '--gcp-endpoint-url',
          sim.endpoint,
        ]),
        io,
        overrides(),
      ),
      await runCli(
        ['audit', '--provider', 'gcp', '--project', 'certctl-prod', '--publish', '--quiet'].concat([
          '--endpoint-url',
          sim.endpoint,
          '--gcp-endpoint-url',
          sim.endpoint,
        ]),
        io,
        overrides(),
      ),
    ];

    // Assess: not a whole audit, then "nothing imported" for every finding, AWS's too.
    expect(codes).toEqual([2, 2]);
    const lines = io.err().split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).toMatch(/^backup-guard: --publish .*securityHub\.centralAccountId/);
    }
    expect(io.out()).toBe('');
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses --region with --provider gcp and a GCP audit without any project', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const withRegion = await runCli(
      ['audit', '--provider', 'gcp', '--project', 'p-1234', '--region', 'eu-west-1'],
      io,
    );
    const noProject = await runCli(['audit', '--provider', 'gcp'], io);

    // Assess
    expect([withRegion, noProject]).toEqual([2, 2]);
    expect(io.err()).toContain('--region selects AWS regions');
    expect(io.err()).toContain('no GCP project to audit');
  });
});
