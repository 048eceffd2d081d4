import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { type CliIo, HELP, runCli } from '../../functions/cli/cli.ts';

const run = promisify(execFile);

function captureIo(env: NodeJS.ProcessEnv = {}): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    env,
    out: () => out,
    err: () => err,
  };
}

describe('backup-guard CLI', () => {
  it('prints the help with the exit codes when asked for help', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['audit', '--help'], io);

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
    expect(io.err()).toContain("--format must be one of table, json, markdown, asff; got 'xml'");
    expect(io.err()).toContain("Unknown option '--colour'");
    expect(io.err()).toContain("unknown command 'restore'");
  });

  it('names the bad policy field and exits 2 when the policy is invalid', async () => {
    // Prepare
    const io = captureIo({ BACKUP_GUARD_POLICY: '{"minPitrDays": 0}' });

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
});
