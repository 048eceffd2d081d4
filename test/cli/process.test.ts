/**
 * The CLI as a user runs it: a child process, so an unhandled promise rejection (which Node turns
 * into a crash with a stack trace and exit code 1) fails these tests instead of passing unseen.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_GOOGLE_CREDENTIALS } from '../../functions/gcp/clients.ts';
import { simEnvironment } from '../sim/accounts.ts';
import { loadScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';

const run = promisify(execFile);

interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `backup-guard` in a child process that crashes on any unhandled rejection. */
async function backupGuard(
  args: readonly string[],
  env: Record<string, string>,
  timeout = 50_000,
): Promise<ProcessResult> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--unhandled-rejections=strict', 'functions/cli/main.ts', ...args],
      { env, timeout },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * An environment with working simulator AWS credentials and no Google credentials at all: no
 * GOOGLE_APPLICATION_CREDENTIALS, an empty HOME (no gcloud configuration), and metadata-server
 * detection off so nothing leaves the machine.
 */
function noGoogleCredentials(sim: Sim, home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: home,
    ...simEnvironment(sim.endpoint),
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    METADATA_SERVER_DETECTION: 'none',
    GCE_METADATA_HOST: '127.0.0.1:9',
    CLOUDSDK_CONFIG: join(home, 'gcloud'),
  };
}

describe('backup-guard as a process', () => {
  let sim: Sim;

  beforeAll(async () => {
    sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml') });
  });

  afterAll(async () => {
    await sim.close();
  });

  it('keeps and writes the AWS findings, names the missing Google credentials in one line and exits 2 when --provider all runs without Application Default Credentials', async () => {
    // Prepare
    const home = await mkdtemp(join(tmpdir(), 'backup-guard-noadc-'));
    const output = join(home, 'report.json');

    // Act
    const result = await backupGuard(
      [
        'audit',
        '--provider',
        'all',
        '--project',
        'certctl-prod',
        '--region',
        'eu-west-1',
        '--format',
        'json',
        '--output',
        output,
      ],
      noGoogleCredentials(sim, home),
    );

    // Assess
    expect(result.stderr).not.toMatch(/unhandled|^\s+at /im);
    expect(result.code).toBe(2);
    const credentialLines = result.stderr
      .split('\n')
      .filter((line) => line.includes('Application Default Credentials'));
    expect(credentialLines.length).toBeGreaterThan(0);
    expect(credentialLines[0]).toContain('gcloud auth application-default login');
    const report = JSON.parse(await readFile(output, 'utf8')) as {
      findings: { resource: { provider: string; id: string }; status: string }[];
    };
    const awsJudged = report.findings.filter((finding) => finding.resource.provider === 'aws');
    expect(awsJudged.map((finding) => finding.resource.id)).toContain('certctl-prod-db');
    const gcp = report.findings.filter((finding) => finding.resource.provider === 'gcp');
    expect(gcp.length).toBeGreaterThan(0);
    expect(gcp.every((finding) => finding.status === 'NOT_AVAILABLE')).toBe(true);
  });
  it('refuses in one line, before any call, a --provider gcp run without Application Default Credentials, as a run without AWS credentials is', async () => {
    // Prepare
    const home = await mkdtemp(join(tmpdir(), 'backup-guard-noadc-gcp-'));

    // Act
    const results = [
      await backupGuard(
        ['audit', '--provider', 'gcp', '--project', 'certctl-prod'],
        noGoogleCredentials(sim, home),
      ),
      await backupGuard(
        ['readiness', '--provider', 'gcp', '--project', 'certctl-prod'],
        noGoogleCredentials(sim, home),
      ),
    ];

    // Assess: not one NOT_AVAILABLE finding per check repeating the same advice.
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`backup-guard: ${NO_GOOGLE_CREDENTIALS}\n`);
    }
  });

  it('reads only GCP, in every command that takes --provider, when --provider is left out and the policy configures GCP alone', async () => {
    // Prepare: working AWS credentials and a GCP-only policy (gcp.projects, no aws section), but no
    // Google credentials. A run of the policy's clouds is a GCP run and stops at them in one line;
    // one that fell back on AWS would read the AWS account the credentials reach instead.
    const home = await mkdtemp(join(tmpdir(), 'backup-guard-default-provider-'));
    const policy = join(home, 'gcp.yaml');
    await writeFile(policy, 'gcp:\n  projects: [certctl-prod]\n');
    const commands = [
      ['audit'],
      ['readiness'],
      ['prune'],
      ['snapshot', '--reason', 'CA swap', '--ticket', 'CHG-9', '--no-wait'],
    ];

    // Act
    const results = [];
    for (const command of commands) {
      results.push(await backupGuard([...command, '--policy', policy], noGoogleCredentials(sim, home)));
    }

    // Assess
    for (const [index, result] of results.entries()) {
      expect({ command: commands[index]?.[0], ...result }).toEqual({
        command: commands[index]?.[0],
        code: 2,
        stdout: '',
        stderr: `backup-guard: ${NO_GOOGLE_CREDENTIALS}\n`,
      });
    }
  });

  it.skipIf(process.platform !== 'linux')(
    'ends in one line naming the directory, instead of hanging, when --output-dir cannot be made under /proc',
    async () => {
      // Prepare: /proc exists and passes the writable check for root, but its file system answers
      // mkdir with ENOENT, on which Node's recursive mkdir retries forever. The child is killed
      // after 20 s, so a hang fails this test instead of hanging it.
      const home = await mkdtemp(join(tmpdir(), 'backup-guard-proc-dir-'));
      const directory = '/proc/backup-guard-no-such-dir/reports';

      // Act
      const started = Date.now();
      const result = await backupGuard(
        ['audit', '--region', 'eu-west-1', '--quiet', '--output-dir', directory],
        noGoogleCredentials(sim, home),
        20_000,
      );

      // Assess
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr:
          'backup-guard: --output-dir /proc/backup-guard-no-such-dir/reports cannot be made: mkdir /proc/backup-guard-no-such-dir failed with ENOENT although /proc exists (its file system takes no new directory there); choose another directory\n',
      });
    },
    30_000,
  );

  /** Run `backup-guard` with stdout closed by its reader at once (`| true`), or on a full disk. */
  async function withBrokenStdout(
    args: readonly string[],
    env: Record<string, string>,
    stdout: 'closed pipe' | 'full disk',
  ): Promise<{ code: number | null; stderr: string }> {
    const full = stdout === 'full disk' ? openSync('/dev/full', 'w') : undefined;
    const child = spawn(
      process.execPath,
      ['--unhandled-rejections=strict', 'functions/cli/main.ts', ...args],
      {
        env,
        stdio: ['ignore', full ?? 'pipe', 'pipe'],
      },
    );
    if (full !== undefined) closeSync(full);
    child.stdout?.destroy();
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (exit) => resolve(exit)));
    return { code, stderr };
  }

  it('finishes the audit and keeps its exit code, without a stack trace, when the reader closes stdout', async () => {
    // Prepare
    const home = await mkdtemp(join(tmpdir(), 'backup-guard-pipe-'));
    const env = noGoogleCredentials(sim, home);
    const args = ['audit', '--region', 'eu-west-1', '--format', 'json'];
    const whole = await backupGuard(args, env);

    // Act
    const help = await withBrokenStdout(['--help'], env, 'closed pipe');
    const audit = await withBrokenStdout(args, env, 'closed pipe');

    // Assess: the demo fleet fails checks (exit 1) whether or not anyone reads the report.
    expect(whole.code).toBe(1);
    expect(help).toEqual({ code: 0, stderr: '' });
    expect(audit.code).toBe(1);
    expect(audit.stderr).not.toMatch(/EPIPE|Unhandled|^\s+at /m);
  });

  /** Run `backup-guard` with stdout read in full and stderr closed by its reader (`2>&1 | head -1`) or on a full disk. */
  async function withBrokenStderr(
    args: readonly string[],
    env: Record<string, string>,
    stderr: 'closed pipe' | 'full disk',
  ): Promise<{ code: number | null; stdout: string }> {
    const full = stderr === 'full disk' ? openSync('/dev/full', 'w') : undefined;
    const child = spawn(
      process.execPath,
      ['--unhandled-rejections=strict', 'functions/cli/main.ts', ...args],
      { env, stdio: ['ignore', 'pipe', full ?? 'pipe'] },
    );
    if (full !== undefined) closeSync(full);
    child.stderr?.destroy();
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (exit) => resolve(exit)));
    return { code, stdout };
  }

  it.skipIf(process.platform !== 'linux')(
    'keeps the exit code of a passing audit, and its whole report, when stderr is closed by its reader or cannot be written',
    async () => {
      // Prepare: an audit that passes (exit 0) and writes progress to stderr before its report.
      const home = await mkdtemp(join(tmpdir(), 'backup-guard-stderr-'));
      const env = noGoogleCredentials(sim, home);
      const args = ['audit', '--region', 'eu-west-1', '--check', 'pitr.enabled', '--format', 'json'];
      const whole = await backupGuard(args, env);

      // Act
      const closed = await withBrokenStderr(args, env, 'closed pipe');
      const full = await withBrokenStderr(args, env, 'full disk');
      const refused = await withBrokenStderr(['audit', '--polcy', 'x.yaml'], env, 'closed pipe');

      // Assess: not 1 (a check failed), which a crash on the progress line's EPIPE or ENOSPC said.
      expect(whole.code).toBe(0);
      expect(whole.stderr).toContain('[1/1]');
      const judged = (stdout: string) =>
        (
          JSON.parse(stdout) as { findings: { checkId: string; resource: { id: string }; status: string }[] }
        ).findings.map((finding) => `${finding.checkId} ${finding.resource.id} ${finding.status}`);
      expect(judged(whole.stdout)).toContain('pitr.enabled certctl-prod-db PASSED');
      for (const result of [closed, full]) {
        expect(result.code).toBe(0);
        expect(judged(result.stdout)).toEqual(judged(whole.stdout));
      }
      expect(refused).toEqual({ code: 2, stdout: '' });
    },
    150_000,
  );

  it('says in one line that the report was not written, and exits 2, when stdout cannot be written (a full disk)', async () => {
    // Prepare
    const home = await mkdtemp(join(tmpdir(), 'backup-guard-full-'));

    // Act
    const result = await withBrokenStdout(['checks'], noGoogleCredentials(sim, home), 'full disk');

    // Assess: not 1, which would say a check failed.
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'backup-guard: could not write to stdout (ENOSPC: no space left on device, write): the output is incomplete\n',
    );
  });
});
