/**
 * Bad input is refused before any work: each case exits 2 with one line naming what was wrong, and
 * no API call was made (so nothing of an audit is lost to a typo).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commandHelp } from '../../functions/cli/args.ts';
import { runCli } from '../../functions/cli/cli.ts';
import { parseWhereArgs, whereFor } from '../../functions/cli/clouds.ts';
import { auditCommand } from '../../functions/cli/commands/audit.ts';
import { pruneCommand } from '../../functions/cli/commands/prune.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { simCredentials } from '../sim/accounts.ts';
import { loadScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { captureIo } from './support.ts';

const run = promisify(execFile);
let sim: Sim;
let dir: string;

beforeAll(async () => {
  sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml') });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-input-'));
  sim.resetStats();
});

/** `audit` against the simulator in one region, with extra arguments. */
async function audit(extra: string[], env: NodeJS.ProcessEnv = {}) {
  const io = captureIo(env);
  const code = await runCli(
    ['audit', '--region', 'eu-west-1', '--endpoint-url', sim.endpoint, ...extra],
    io,
    { awsCredentials: simCredentials() },
  );
  return { code, out: io.out(), err: io.err() };
}

describe('backup-guard input checks', () => {
  it('refuses --output into a missing directory before the audit makes any call', async () => {
    // Act
    const result = await audit(['--output', join(dir, 'missing', 'audit.json'), '--format', 'json']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toBe(
      `backup-guard: --output ${join(dir, 'missing', 'audit.json')}: the directory ${join(dir, 'missing')} does not exist\n`,
    );
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses --output naming a directory before the audit makes any call', async () => {
    // Act
    const result = await audit(['--output', dir]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toContain(`--output ${dir} is a directory; name a file (or use --output-dir ${dir})`);
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses --output-dir naming a file, and several formats without --output-dir', async () => {
    // Prepare
    const file = join(dir, 'reports');
    await writeFile(file, 'keep me');

    // Act
    const intoFile = await audit(['--output-dir', file]);
    const several = await audit(['--format', 'json,csv']);

    // Assess
    expect([intoFile.code, several.code]).toEqual([2, 2]);
    expect(intoFile.err).toContain(`--output-dir ${file} is a file, not a directory`);
    expect(several.err).toContain('--format json,csv asks for 2 reports: add --output-dir DIR');
    expect(await readFile(file, 'utf8')).toBe('keep me');
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses --output-dir naming a file before it looks for credentials, as --output is', async () => {
    // Prepare: no credentials anywhere (no override, an empty environment and empty AWS files).
    const file = join(dir, 'reports');
    await writeFile(file, 'keep me');
    const empty = join(dir, 'empty-aws-file');
    await writeFile(empty, '');
    const io = captureIo({ AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty, HOME: dir });

    // Act
    const code = await runCli(
      ['audit', '--region', 'eu-west-1', '--endpoint-url', sim.endpoint, '--output-dir', file],
      io,
    );

    const under = captureIo({ AWS_CONFIG_FILE: empty, AWS_SHARED_CREDENTIALS_FILE: empty, HOME: dir });
    const underCode = await runCli(
      ['audit', '--region', 'eu-west-1', '--endpoint-url', sim.endpoint, '--output-dir', join(file, 'sub')],
      under,
    );

    // Assess: the typo is named, not a missing credential, and nothing was made.
    expect([code, underCode]).toEqual([2, 2]);
    expect(io.err()).toBe(`backup-guard: --output-dir ${file} is a file, not a directory\n`);
    expect(under.err()).toBe(
      `backup-guard: --output-dir ${join(file, 'sub')} cannot be made: ${file} is a file, not a directory\n`,
    );
    expect(await readFile(file, 'utf8')).toBe('keep me');
    expect(sim.stats().requests).toBe(0);
  });

  it("prints the audit's own options when audit --help", async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['audit', '--help'], io);

    // Assess
    expect(code).toBe(0);
    expect(io.out()).toBe(commandHelp(auditCommand));
    for (const flag of [
      '--severity LEVEL',
      '--check ID|GROUP',
      '--output-dir DIR',
      '--failed-only',
      '--no-color',
    ]) {
      expect(io.out()).toContain(flag);
    }
    expect(io.out()).toMatch(/^Usage: npx backup-guard audit \[options\]/);
  });

  it('says in audit --help that filters never hide a region that could not be read or a target not found', async () => {
    // Prepare: the exit code of a filtered run still counts the coverage of the whole run
    // (functions/publish/filter.ts keeps every failed scope and coverage problem).
    const io = captureIo();

    // Act
    await runCli(['audit', '--help'], io);

    // Assess
    const help = io.out().replaceAll(/\s+/g, ' ');
    expect(help).toContain(
      'Filters (--check, --exclude-check, --severity) narrow the report and its exit code to the checks they select, but a region or account that could not be read, or a database the policy names that was not found, still exits 2 whatever they select;',
    );
  });

  it('refuses a snapshot --reason with an invisible or control character as chat does, and keeps tabs and line breaks', async () => {
    // Prepare
    const snapshot = async (reason: string, ...extra: string[]) => {
      const io = captureIo();
      const code = await runCli(
        ['snapshot', '--region', 'eu-west-1', '--endpoint-url', sim.endpoint, '--reason', reason, ...extra],
        io,
        { awsCredentials: simCredentials() },
      );
      return { code, err: io.err() };
    };

    // Act
    const reversed = await snapshot('CA \u202erotation');
    const blank = await snapshot('\u200b');
    const terminalEscape = await snapshot('CA\u001b[2Jrotation');
    const carriageReturn = await snapshot('CA\rrotation');
    // The next flag checked after --reason: a reason that passes is refused for it instead.
    const lines = await snapshot('CA rotation\n\tstep 2', '--wait', '--no-wait');

    // Assess
    expect(reversed).toEqual({
      code: 2,
      err: 'backup-guard: --reason holds a character nobody reading it would see (U+202E); type the reason again without it\n',
    });
    expect(blank.err).toContain('(U+200B)');
    expect(terminalEscape.err).toContain('(U+001B)');
    expect(carriageReturn.err).toContain('(U+000D)');
    expect(lines.err).toContain('--wait and --no-wait contradict each other');
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses a snapshot --ticket or --request-id with an invisible, control or line-break character, before any call', async () => {
    // Prepare: `CHG-42` pasted with a zero-width space is another request (ticket:CHG-42…) whose
    // tag would read `CHG-42_`, so the same-looking ticket would take a second snapshot.
    const snapshot = async (...extra: string[]) => {
      const io = captureIo();
      const code = await runCli(
        [
          'snapshot',
          '--region',
          'eu-west-1',
          '--endpoint-url',
          sim.endpoint,
          '--reason',
          'CA rotation',
          ...extra,
        ],
        io,
        { awsCredentials: simCredentials() },
      );
      return { code, err: io.err() };
    };

    // Act
    const results = [
      await snapshot('--ticket', 'CHG-42\u200b'),
      await snapshot('--ticket', 'CHG-42', '--request-id', 'req\n1'),
    ];

    // Assess
    expect(results).toEqual([
      {
        code: 2,
        err: 'backup-guard: --ticket holds a character nobody reading it would see (U+200B); type the ticket again without it\n',
      },
      {
        code: 2,
        err: 'backup-guard: --request-id holds a character nobody reading it would see (U+000A); type the request id again without it\n',
      },
    ]);
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses a --target with an invisible character or a blank before any call, as the policy refuses such an identifier', async () => {
    // Prepare
    const snapshot = async (target: string) => {
      const io = captureIo();
      const code = await runCli(
        [
          'snapshot',
          '--region',
          'eu-west-1',
          '--endpoint-url',
          sim.endpoint,
          '--reason',
          'CA rotation',
          '--ticket',
          'CHG-42',
          '--target',
          target,
        ],
        io,
        { awsCredentials: simCredentials() },
      );
      return { code, err: io.err() };
    };

    // Act: a name pasted with a zero-width space, and two names in one quoted value.
    const results = [
      await snapshot('certctl-prod-db\u200b'),
      await snapshot('certctl-prod-db certctl-prod-aurora'),
    ];

    // Assess: said before any call, never 'not found: certctl-prod-db' after listing every database.
    expect(results).toEqual([
      {
        code: 2,
        err: "backup-guard: --target 'certctl-prod-db\\u200b' holds a character nobody reading it would see (U+200B); type the identifier again without it\n",
      },
      {
        code: 2,
        err: "backup-guard: --target 'certctl-prod-db certctl-prod-aurora' holds a blank; a DB or cluster identifier, Cloud SQL instance name or ARN has none\n",
      },
    ]);
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses an unknown option of checks', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['checks', '--bogus'], io);

    // Assess
    expect(code).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      "backup-guard: Unknown option '--bogus' for checks. Run 'backup-guard checks --help' for its options.\n",
    );
  });

  it('suggests the closest flag, command, check and format when one is mistyped', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const codes = [
      await runCli(['audit', '--regoin', 'eu-west-1'], io),
      await runCli(['audti'], io),
      await runCli(['audit', '--check', 'pitr.windw'], io),
      await runCli(['audit', '--format', 'jsn'], io),
      await runCli(['audit', '--severity', 'hihg'], io),
      await runCli(['audit', '--group', 'pitrr'], io),
      await runCli(['audit', '--provider', 'gpc'], io),
    ];

    // Assess
    expect(codes).toEqual([2, 2, 2, 2, 2, 2, 2]);
    const lines = io.err().trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toContain("Unknown option '--regoin' for audit. Did you mean '--region'?");
    expect(lines[1]).toContain("unknown command 'audti'. Did you mean 'audit'?");
    expect(lines[2]).toContain(
      "--check 'pitr.windw' is neither a check id nor a check group. Did you mean 'pitr.window'?",
    );
    expect(lines[3]).toContain("got 'jsn'. Did you mean 'json'?");
    expect(lines[4]).toContain("--severity 'hihg' is not a severity. Did you mean 'high'?");
    expect(lines[5]).toContain("--group 'pitrr' is not a check group. Did you mean 'pitr'?");
    expect(lines[6]).toBe(
      "backup-guard: --provider must be one of aws, gcp, all; got 'gpc'. Did you mean 'gcp'?",
    );
  });

  it('suggests the value meant when one is typed in capitals (GCP, JSON, AUDIT, --Region), as it does for a typo', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const codes = [
      await runCli(['audit', '--provider', 'GCP'], io),
      await runCli(['audit', '--format', 'JSON'], io),
      await runCli(['AUDIT'], io),
      await runCli(['audit', '--Region', 'eu-west-1'], io),
    ];

    // Assess
    expect(codes).toEqual([2, 2, 2, 2]);
    const lines = io.err().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(
      "backup-guard: --provider must be one of aws, gcp, all; got 'GCP'. Did you mean 'gcp'?",
    );
    expect(lines[1]).toContain("got 'JSON'. Did you mean 'json'?");
    expect(lines[2]).toContain("unknown command 'AUDIT'. Did you mean 'audit'?");
    expect(lines[3]).toContain("Unknown option '--Region' for audit. Did you mean '--region'?");
  });

  it('refuses an option given an empty value (an unset shell variable) before any call, instead of running on the defaults', async () => {
    // Prepare: `--policy "$POLICY"` with POLICY unset, and the other spellings of a blank value.
    const io = captureIo();

    // Act
    const results = [
      await audit(['--policy', '']),
      await audit(['--policy=']),
      await audit(['--output', ' ']),
      { code: await runCli(['prune', '--region=', '--endpoint-url', sim.endpoint], io), err: io.err() },
    ];

    // Assess
    expect(results.map((result) => result.code)).toEqual([2, 2, 2, 2]);
    expect(results.map((result) => result.err)).toEqual([
      "backup-guard: --policy needs a value. Run 'backup-guard audit --help' for its options.\n",
      "backup-guard: --policy needs a value. Run 'backup-guard audit --help' for its options.\n",
      "backup-guard: --output needs a value. Run 'backup-guard audit --help' for its options.\n",
      "backup-guard: --region needs a value. Run 'backup-guard prune --help' for its options.\n",
    ]);
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses a single-value option given two different values, naming both, before any call, instead of running with the last', async () => {
    // Prepare: two policies (or reasons) on one command line, as a pasted or edited command has them.
    const io = captureIo();

    // Act
    const results = [
      await audit(['--policy', 'examples/minimal.yaml', '--policy=examples/gcp.yaml']),
      {
        code: await runCli(
          ['snapshot', '--reason', 'CA rotation', '--ticket', 'CHG-1', '--reason', 'key rotation'],
          io,
        ),
        err: io.err(),
      },
    ];

    // Assess
    expect(results.map((result) => result.code)).toEqual([2, 2]);
    expect(results.map((result) => result.err)).toEqual([
      "backup-guard: --policy is given 2 different values ('examples/minimal.yaml', 'examples/gcp.yaml'); give it once. Run 'backup-guard audit --help' for its options.\n",
      "backup-guard: --reason is given 2 different values ('CA rotation', 'key rotation'); give it once. Run 'backup-guard snapshot --help' for its options.\n",
    ]);
    expect(sim.stats().requests).toBe(0);
    // The same value twice is no ambiguity (a wrapper adding what its caller passed too).
    const same = await audit(['--provider', 'aws', '--provider', 'aws', '--format', 'json', '--quiet']);
    expect(same.err).not.toContain('different values');
    expect(same.code).not.toBe(2);
  });

  it('says an option followed by another option needs a value, instead of that it takes none', async () => {
    // Prepare: `--format "$FORMAT" --output x` with FORMAT unset reaches parseArgs as `--format --output x`.
    const io = captureIo();

    // Act
    const results = [
      await audit(['--format', '--output', join(dir, 'report.txt')]),
      {
        code: await runCli(['prune', '--region', '--apply', '--endpoint-url', sim.endpoint], io),
        err: io.err(),
      },
    ];

    // Assess
    expect(results.map((result) => result.code)).toEqual([2, 2]);
    expect(results.map((result) => result.err)).toEqual([
      "backup-guard: --format needs a value (got the option '--output' after it; write --format=VALUE for a value that starts with a dash). Run 'backup-guard audit --help' for its options.\n",
      "backup-guard: --region needs a value (got the option '--apply' after it; write --region=VALUE for a value that starts with a dash). Run 'backup-guard prune --help' for its options.\n",
    ]);
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses filters that together select no check, before any call, instead of reporting every check passed', async () => {
    // Prepare: pitr.lag is HIGH, not LOW; a check both asked for and excluded.
    const io = captureIo();

    // Act
    const codes = [
      await runCli(['audit', '--check', 'pitr.lag', '--severity', 'low'], io),
      await runCli(['audit', '--check', 'pitr.window', '--exclude-check', 'pitr.window'], io),
    ];

    // Assess
    expect(codes).toEqual([2, 2]);
    const lines = io.err().trimEnd().split('\n');
    expect(lines).toEqual([
      "backup-guard: --group, --check, --exclude-check and --severity together select no check, so nothing would be reported; 'backup-guard checks' lists each check's group and severity",
      "backup-guard: --group, --check, --exclude-check and --severity together select no check, so nothing would be reported; 'backup-guard checks' lists each check's group and severity",
    ]);
  });

  it('refuses filters that select only checks the policy turns off, before any call, instead of reporting every check passed', async () => {
    // Prepare: the default policy asks for no cross-region backup and reads no secret value.
    const policy = join(dir, 'policy.yaml');
    await writeFile(policy, 'pitr:\n  requireCrossRegionBackup: false\n');

    // Act
    const results = [
      await audit(['--policy', policy, '--check', 'pitr.cross-region']),
      await audit(['--policy', policy, '--check', 'pitr.cross-region,keys.content', '--format', 'json']),
    ];

    // Assess
    expect(results.map((result) => result.code)).toEqual([2, 2]);
    expect(results.map((result) => result.err)).toEqual([
      'backup-guard: --group, --check, --exclude-check and --severity select only checks the policy turns off (pitr.cross-region runs only with pitr.requireCrossRegionBackup), so nothing would be reported; turn them on in the policy or select other checks\n',
      'backup-guard: --group, --check, --exclude-check and --severity select only checks the policy turns off (pitr.cross-region runs only with pitr.requireCrossRegionBackup; keys.content runs only with keys.inspectSecretValues), so nothing would be reported; turn them on in the policy or select other checks\n',
    ]);
    expect(results.map((result) => result.out)).toEqual(['', '']);
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses, naming --provider, a run without --provider whose policy configures no cloud, and --region beside a GCP-only policy', async () => {
    // Prepare: aws.configured false and no gcp.projects leave no cloud to default to; a GCP-only
    // policy defaults to GCP, where an AWS region (audit() passes --region) means nothing.
    const none = join(dir, 'none.yaml');
    await writeFile(none, 'aws:\n  configured: false\n');
    const gcpOnly = join(dir, 'gcp.yaml');
    await writeFile(gcpOnly, 'gcp:\n  projects: [certctl-prod]\n');

    // Act
    const results = [await audit(['--policy', none]), await audit(['--policy', gcpOnly])];

    // Assess
    expect(results.map((result) => result.code)).toEqual([2, 2]);
    expect(results.map((result) => result.err)).toEqual([
      'backup-guard: the policy configures no cloud (aws.configured is false and gcp.projects is empty), so there is no default for --provider: pass --provider aws, gcp or all\n',
      'backup-guard: --region selects AWS regions, but the policy configures GCP alone (gcp.projects and no aws section, or aws.configured: false), so the run reads GCP: pass --provider all (or aws) to read AWS too, or choose projects with --project\n',
    ]);
    expect(sim.stats().requests).toBe(0);
  });

  it('runs a filter that selects a check the policy turns off beside one it runs', async () => {
    // Act: pitr.window runs; pitr.cross-region yields nothing under this policy.
    const result = await audit(['--check', 'pitr.window,pitr.cross-region', '--format', 'json', '--quiet']);

    // Assess
    expect(result.err).toBe('');
    const report = JSON.parse(result.out) as { findings: { checkId: string }[] };
    expect(new Set(report.findings.map((finding) => finding.checkId))).toEqual(new Set(['pitr.window']));
  });

  it('refuses a --group whose checks --severity leaves none of, though another group has one', async () => {
    // Prepare: every dumps check is HIGH; pitr and keys have CRITICAL checks, but --group dumps
    // runs only the dumps checks.
    const io = captureIo();

    // Act
    const code = await runCli(['audit', '--group', 'dumps', '--severity', 'critical'], io);

    // Assess
    expect(code).toBe(2);
    expect(io.err().trimEnd()).toBe(
      "backup-guard: --group, --check, --exclude-check and --severity together select no check, so nothing would be reported; 'backup-guard checks' lists each check's group and severity",
    );
  });

  it('audits with the defaults the same way when the policy file is empty YAML or empty JSON', async () => {
    // Prepare
    const yaml = join(dir, 'empty.yaml');
    const json = join(dir, 'empty.json');
    await writeFile(yaml, '');
    await writeFile(json, '\n');

    // Act
    const fromYaml = await audit(['--policy', yaml, '--format', 'json', '--quiet']);
    const fromJson = await audit(['--policy', json, '--format', 'json', '--quiet']);

    // Assess
    expect(fromYaml.code).toBe(fromJson.code);
    expect(fromYaml.err).toBe('');
    expect(fromJson.err).toBe('');
    const ids = (text: string) =>
      (JSON.parse(text) as { findings: { checkId: string; resource: { id: string } }[] }).findings.map(
        (f) => `${f.checkId} ${f.resource.id}`,
      );
    expect(ids(fromJson.out)).toEqual(ids(fromYaml.out));
    expect(ids(fromJson.out).length).toBeGreaterThan(0);
  });

  it('says AWS_PROFILE names a missing profile, suggesting the closest, before any call', async () => {
    // Prepare: a config with two profiles; the CLI runs as a user would, in a child process.
    const config = join(dir, 'config');
    await writeFile(config, '[default]\nregion = eu-west-1\n\n[profile prod]\nregion = eu-west-1\n');
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      AWS_CONFIG_FILE: config,
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PROFILE: 'prdo',
    };

    // Act
    const result = await run(
      process.execPath,
      ['functions/cli/backup-guard.mjs', 'audit', '--region', 'eu-west-1', '--endpoint-url', sim.endpoint],
      { env },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error);

    // Assess
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect((result as { stderr: string }).stderr).toBe(
      `backup-guard: AWS_PROFILE is 'prdo', but no such profile is in ${config} or ${join(dir, 'credentials')} (the profiles there are default, prod). Did you mean 'prod'? Fix AWS_PROFILE, or create the profile with 'aws configure sso --profile prdo'.\n`,
    );
    expect(sim.stats().requests).toBe(0);
  });

  it('names the file and the field when the policy is bad, before any call', async () => {
    // Prepare
    const policy = join(dir, 'policy.yaml');
    await mkdir(dir, { recursive: true });
    await writeFile(policy, 'pitr:\n  minPitrDays: 90\n');

    // Act
    const result = await audit(['--policy', policy]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toContain(`policy file ${policy} is invalid:`);
    expect(result.err).toContain('pitr.minPitrDays');
    expect(result.err).not.toMatch(/\n\s+at /);
    expect(sim.stats().requests).toBe(0);
  });

  it('names an unknown topic of help, suggesting the closest command, instead of printing the general help', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['help', 'audti'], io);

    // Assess
    expect(code).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      "backup-guard: unknown command 'audti'. Did you mean 'audit'? Commands: audit, checks, snapshot, prune, readiness, init, help. Run 'backup-guard --help'.\n",
    );
  });

  it('suggests the closest of --version and --help for a mistyped option before any command', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const codes = [await runCli(['--versoin'], io), await runCli(['--hlep'], io)];

    // Assess
    expect(codes).toEqual([2, 2]);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      "backup-guard: unknown option '--versoin'. Did you mean '--version'? Commands: audit, checks, snapshot, prune, readiness, init, help. Run 'backup-guard --help'.\n" +
        "backup-guard: unknown option '--hlep'. Did you mean '--help'? Commands: audit, checks, snapshot, prune, readiness, init, help. Run 'backup-guard --help'.\n",
    );
  });

  it('says that options go after the command, showing the line reordered, when a command option comes before it', async () => {
    // Prepare
    const io = captureIo();
    const none = captureIo();

    // Act
    const code = await runCli(['--policy', 'my policy.yaml', 'audit', '--region', 'eu-west-1'], io);
    const noCommand = await runCli(['--region=eu-west-1'], none);

    // Assess: nothing run; the line to type instead, each word as a shell reads it.
    expect([code, noCommand]).toEqual([2, 2]);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      "backup-guard: --policy comes before the command: options go after it, as in backup-guard audit --policy 'my policy.yaml' --region eu-west-1. Run 'backup-guard audit --help' for its options.\n",
    );
    expect(none.err()).toBe(
      "backup-guard: --region comes before any command: options go after one (audit, snapshot, prune, readiness take --region), as in backup-guard audit --region=eu-west-1. Run 'backup-guard --help'.\n",
    );
    expect(sim.stats().requests).toBe(0);
  });

  it('refuses an operand after --version or -v, naming it, instead of printing the version and exiting 0', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const codes = [await runCli(['--version', 'extra'], io), await runCli(['-v', 'audit'], io)];

    // Assess
    expect(codes).toEqual([2, 2]);
    expect(io.out()).toBe('');
    expect(io.err()).toBe(
      "backup-guard: --version takes no argument 'extra'. Run 'backup-guard --help'.\n" +
        "backup-guard: -v takes no argument 'audit'. Run 'backup-guard --help'.\n",
    );
  });

  it('reads --help <command> and -h <command> as help <command>, and refuses a word after the command, naming it', async () => {
    // Prepare
    const io = captureIo();
    const audit = captureIo();

    // Act
    const codes = [
      await runCli(['--help', 'audit', 'extra'], io),
      await runCli(['help', 'audit', 'extra'], io),
      await runCli(['--help', 'audti'], io),
    ];
    const asked = await runCli(['-h', 'audit'], audit);
    const reference = captureIo();
    await runCli(['help', 'audit'], reference);

    // Assess: the command's help for -h audit, as for help audit; a usage error for the rest.
    expect(codes).toEqual([2, 2, 2]);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(
      /^backup-guard: --help takes one command name, not 'extra' after it\. Run 'backup-guard --help'\.\n/,
    );
    expect(io.err()).toContain(
      "backup-guard: help takes one command name, not 'extra' after it. Run 'backup-guard --help'.\n",
    );
    expect(io.err()).toContain("unknown command 'audti'. Did you mean 'audit'?");
    expect(asked).toBe(0);
    expect(audit.out()).toBe(reference.out());
    expect(audit.out()).toContain('backup-guard audit');
  });

  it('prints the command help for help <command>', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['help', 'prune'], io);

    // Assess
    expect(code).toBe(0);
    expect(io.out()).toBe(commandHelp(pruneCommand));
  });

  it('refuses a --project that is not a GCP project id, naming it, before any call', async () => {
    for (const [command, extra] of [
      ['audit', []],
      ['snapshot', ['--reason', 'CA rotation']],
      ['prune', []],
      ['readiness', []],
    ] as const) {
      for (const project of ['Certctl_Prod', '../certctl-prod', 'certctl-prod/instances']) {
        // Prepare
        const io = captureIo();

        // Act
        const code = await runCli(
          [
            command,
            ...extra,
            '--provider',
            'gcp',
            '--project',
            `certctl-ok,${project}`,
            '--gcp-endpoint-url',
            sim.endpoint,
          ],
          io,
        );

        // Assess
        expect({ command, code }).toEqual({ command, code: 2 });
        expect(io.err()).toBe(
          `backup-guard: --project '${project}' is not a GCP project id (6 to 30 lower-case letters, digits or hyphens, starting with a letter)\n`,
        );
        expect(sim.stats().requests).toBe(0);
      }
    }
  });

  it('refuses a --reason, --ticket or --request-id longer than its snapshot tag holds, before any call', async () => {
    for (const [flag, length, limit] of [
      ['--reason', 300, 256],
      ['--ticket', 129, 128],
      ['--request-id', 257, 256],
    ] as const) {
      // Prepare
      const io = captureIo();
      const args = flag === '--reason' ? [] : ['--reason', 'CA rotation'];

      // Act
      const code = await runCli(
        [
          'snapshot',
          ...args,
          flag,
          'x'.repeat(length),
          '--region',
          'eu-west-1',
          '--endpoint-url',
          sim.endpoint,
        ],
        io,
        { awsCredentials: simCredentials() },
      );

      // Assess
      expect({ flag, code }).toEqual({ flag, code: 2 });
      expect(io.err()).toBe(
        `backup-guard: ${flag} is ${length} characters; keep it to ${limit} (it is written to a snapshot tag, which would cut it)\n`,
      );
      expect(sim.stats().requests).toBe(0);
    }
  });

  it('refuses an endpoint URL that is not http or https, before any call', async () => {
    for (const [args, flag, url] of [
      [['audit'], '--endpoint-url', 'ftp://127.0.0.1:4566'],
      [['audit', '--provider', 'gcp', '--project', 'certctl-prod'], '--gcp-endpoint-url', 'file:///tmp/sim'],
      [['snapshot', '--reason', 'CA rotation'], '--dynamodb-endpoint-url', 'javascript:alert(1)'],
    ] as const) {
      // Prepare
      const io = captureIo();

      // Act
      const code = await runCli([...args, flag, url], io, { awsCredentials: simCredentials() });

      // Assess
      expect({ flag, code }).toEqual({ flag, code: 2 });
      expect(io.err()).toMatch(
        new RegExp(
          `^backup-guard: ${flag} must be an http or https URL such as http://127\\.0\\.0\\.1:\\d+; got '`,
        ),
      );
      expect(sim.stats().requests).toBe(0);
    }
  });

  it('refuses an endpoint URL holding a user name or password, never showing the password, before any call', async () => {
    const tablePolicy = join(dir, 'policy.json');
    await writeFile(
      tablePolicy,
      JSON.stringify({ snapshots: { idempotencyTable: 'backup-guard-idempotency' } }),
    );
    const secret = 'CANARY-endpoint-password-1f3a';
    const url = (scheme: string) => `${scheme}://ops:${secret}@127.0.0.1:4566`;
    for (const [args, env, what] of [
      [['audit', '--endpoint-url', url('http')], {}, '--endpoint-url'],
      [['audit', '--endpoint-url', url('ftp')], {}, '--endpoint-url'],
      [
        ['audit', '--provider', 'gcp', '--project', 'certctl-prod', '--gcp-endpoint-url', url('https')],
        {},
        '--gcp-endpoint-url',
      ],
      [
        ['snapshot', '--reason', 'CA rotation', '--dynamodb-endpoint-url', url('http')],
        {},
        '--dynamodb-endpoint-url',
      ],
      [['audit'], { AWS_ENDPOINT_URL: url('http') }, '$AWS_ENDPOINT_URL'],
      [['audit'], { AWS_ENDPOINT_URL: url('ftp') }, '$AWS_ENDPOINT_URL'],
      [
        ['audit', '--provider', 'gcp', '--project', 'certctl-prod'],
        { BACKUP_GUARD_CLOUDSQL_ENDPOINT: url('http') },
        '$BACKUP_GUARD_CLOUDSQL_ENDPOINT',
      ],
      [
        ['snapshot', '--reason', 'CA rotation', '--policy', tablePolicy, '--endpoint-url', sim.endpoint],
        { AWS_ENDPOINT_URL_DYNAMODB: url('http') },
        '$AWS_ENDPOINT_URL_DYNAMODB',
      ],
    ] as const) {
      // Prepare
      const io = captureIo(env);

      // Act
      const code = await runCli([...args], io, { awsCredentials: simCredentials() });

      // Assess: the clients never send a URL's user and password (they would only be shown in
      // errors and findings), so such a URL is refused, its password not repeated.
      expect({ what, code }).toEqual({ what, code: 2 });
      expect(io.err()).toContain(`backup-guard: ${what} `);
      expect(io.err()).toMatch(/user name or password|must be an http or https URL/);
      expect(io.err()).not.toContain(secret);
      expect(io.err().split('\n').filter(Boolean)).toHaveLength(1);
      expect(sim.stats().requests).toBe(0);
    }
  });

  it('leaves $AWS_ENDPOINT_URL_DYNAMODB unread when the policy names no idempotency table, so no DynamoDB client is made', async () => {
    // Prepare
    const io = captureIo({ AWS_ENDPOINT_URL_DYNAMODB: 'not-a-url' });

    // Act: a target the simulator does not have, so nothing is snapshotted.
    await runCli(
      [
        'snapshot',
        '--reason',
        'CA rotation',
        '--region',
        'eu-west-1',
        '--target',
        'no-such-db',
        '--endpoint-url',
        sim.endpoint,
      ],
      io,
      { awsCredentials: simCredentials() },
    );

    // Assess: the run went to the simulator instead of stopping at the variable.
    expect(io.err()).not.toContain('AWS_ENDPOINT_URL_DYNAMODB');
    expect(sim.stats().requests).toBeGreaterThan(0);
  });

  it('refuses an endpoint environment variable that is no http or https URL, naming the variable, before any call', async () => {
    const tablePolicy = join(dir, 'policy.json');
    await writeFile(
      tablePolicy,
      JSON.stringify({ snapshots: { idempotencyTable: 'backup-guard-idempotency' } }),
    );
    const centralPolicy = join(dir, 'central.json');
    await writeFile(
      centralPolicy,
      JSON.stringify({ securityHub: { centralAccountId: '111111111111', centralRegion: 'eu-west-1' } }),
    );
    for (const [args, variable] of [
      [['audit', '--provider', 'gcp', '--project', 'certctl-prod'], 'BACKUP_GUARD_CLOUDSQL_ENDPOINT'],
      [['audit'], 'AWS_ENDPOINT_URL'],
      // Publishing GCP findings goes to Security Hub (the central account): an AWS client is made.
      [
        ['audit', '--provider', 'gcp', '--project', 'certctl-prod', '--publish', '--policy', centralPolicy],
        'AWS_ENDPOINT_URL',
      ],
      [['snapshot', '--reason', 'CA rotation', '--policy', tablePolicy], 'AWS_ENDPOINT_URL_DYNAMODB'],
    ] as const) {
      // Prepare: the variable holds no URL (the DynamoDB one beside AWS calls sent to the simulator,
      // with an idempotency table for it to reach).
      const io = captureIo({ [variable]: 'not-a-url' });
      const endpoints = variable === 'AWS_ENDPOINT_URL_DYNAMODB' ? ['--endpoint-url', sim.endpoint] : [];

      // Act
      const code = await runCli([...args, ...endpoints], io, { awsCredentials: simCredentials() });

      // Assess: one line naming the variable, not a flag nobody gave, and no stack trace.
      expect({ variable, code }).toEqual({ variable, code: 2 });
      expect(io.err()).toBe(
        `backup-guard: $${variable} must be an http or https URL such as ${
          variable === 'AWS_ENDPOINT_URL_DYNAMODB' ? 'http://127.0.0.1:8000' : 'http://127.0.0.1:4566'
        }; got 'not-a-url'\n`,
      );
      expect(sim.stats().requests).toBe(0);
    }
  });
});

describe('the clouds a run reads without --provider', () => {
  it('reads the clouds the policy configures: GCP alone, both, or AWS, and --provider wins', () => {
    // Prepare
    const none = parseWhereArgs({});
    const gcpOnly = parsePolicy({ gcp: { projects: ['certctl-prod'] } });
    const both = parsePolicy({ aws: { regions: ['eu-west-1'] }, gcp: { projects: ['certctl-prod'] } });
    const awsOnly = parsePolicy({});

    // Act
    const chosen = [gcpOnly, both, awsOnly].map((policy) => whereFor(none, policy));
    const given = whereFor(parseWhereArgs({ provider: 'aws' }), gcpOnly);

    // Assess
    expect(chosen.map((where) => [where.provider, where.providers])).toEqual([
      ['gcp', ['gcp']],
      ['all', ['aws', 'gcp']],
      ['aws', ['aws']],
    ]);
    expect([given.provider, given.providers]).toEqual(['aws', ['aws']]);
  });
});
