/**
 * The CLI as a user starts it, in child processes: the documented `npx backup-guard` keeps stdout
 * to the report alone; an old Node gets a sentence, not a stack trace; `init` writes a starter policy
 * and never overwrites one.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeSlackPlace } from '../../functions/chatops/authorize.ts';
import { runCli } from '../../functions/cli/cli.ts';
import { STARTER_POLICY } from '../../functions/cli/commands/init.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { loadPolicyFile } from '../../functions/core/policy-file.ts';
import { simCredentials } from '../sim/accounts.ts';
import { loadScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { captureIo } from './support.ts';

const run = promisify(execFile);
type ChildResult = { code?: number; stdout: string; stderr: string };
const settle = (promise: Promise<{ stdout: string; stderr: string }>): Promise<ChildResult> =>
  promise.then(
    (result) => ({ code: 0, ...result }),
    (error: ChildResult) => error,
  );

/** Pretend to be Node 20: the launcher reads process.versions.node before anything else. */
const OLD_NODE = 'data:text/javascript,Object.defineProperty(process.versions,"node",{value:"20.20.2"})';

describe('npx backup-guard', () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml') });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('writes only the report to stdout, so a redirect yields clean JSON, while npm run adds its banner', async () => {
    // Prepare: credentials for the simulator, as a user's environment would carry them.
    const { accessKeyId, secretAccessKey } = simCredentials();
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: 'eu-west-1',
      AWS_PROFILE: '',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const args = ['audit', '--region', 'eu-west-1', '--format', 'json', '--endpoint-url', sim.endpoint];

    // Act
    const npx = await settle(run('npx', ['backup-guard', ...args], { env }));
    const npmRun = await settle(run('npm', ['run', 'backup-guard', '--', ...args], { env }));

    // Assess: the documented form parses; the npm run form is why it is the documented one.
    expect(npx.code).toBe(1);
    const report = JSON.parse(npx.stdout) as { schemaVersion: number; findings: unknown[] };
    expect(report.schemaVersion).toBe(1);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(npx.stderr).toContain('[1/1] aws:111111111111/eu-west-1 pitr: 2 databases');
    expect(npmRun.stdout).toMatch(/^\s*> certctl-backup-guard@[\d.]+ backup-guard/);
    expect(() => JSON.parse(npmRun.stdout)).toThrow();
  });
});

describe('backup-guard launcher', () => {
  it('says Node 24 is needed and how to get it, without a stack trace, when run by an older Node', async () => {
    // Act
    const result = await settle(
      run(process.execPath, ['--import', OLD_NODE, 'functions/cli/backup-guard.mjs', '--version']),
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('backup-guard needs Node 24 or later');
    expect(result.stderr).toContain('this is Node 20.20.2');
    expect(result.stderr).toContain("run it as 'npx backup-guard …'");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("names 'npm ci --ignore-scripts' as the likely cause when the pinned Node is missing", async () => {
    // Prepare: the launcher in a tree without node_modules/node (what --ignore-scripts leaves).
    const root = await mkdtemp(join(tmpdir(), 'cli-launcher-'));
    await mkdir(join(root, 'functions', 'cli'), { recursive: true });
    for (const file of ['backup-guard.mjs', 'pinned-node.mjs']) {
      await copyFile(join('functions', 'cli', file), join(root, 'functions', 'cli', file));
    }

    // Act
    const result = await settle(
      run(process.execPath, ['--import', OLD_NODE, join(root, 'functions', 'cli', 'backup-guard.mjs')]),
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "The pinned Node 24 is missing from node_modules: its install script did not run (was it 'npm ci --ignore-scripts'?). Run 'npm ci'",
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('npm scripts on the pinned Node', () => {
  it('runs the script when the Node is new enough, passing its arguments and exit code', async () => {
    // Act
    const result = await settle(run('npm', ['run', '-s', 'sim', '--', '--bogus-flag']));

    // Assess: the simulator itself answered (its own usage error), not the launcher.
    expect(result.stderr).not.toContain('needs Node 24');
    expect(result.stderr).toContain("Unknown option '--bogus-flag'");
    expect(result.code).toBe(2);
  });

  it('says why instead of a stack trace when an older Node runs an npm script', async () => {
    // Act
    const result = await settle(
      run(process.execPath, ['--import', OLD_NODE, 'functions/cli/pinned-node.mjs', 'test/sim/demo.ts']),
    );

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('test/sim/demo.ts needs Node 24 or later');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the package scripts that run TypeScript through the launcher', async () => {
    // Prepare
    const { scripts } = JSON.parse(await readFile('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };

    // Assess
    for (const name of ['demo', 'sim', 'docs', 'bench:audit', 'bench:gcp', 'bench:publish']) {
      expect(scripts[name]).toMatch(/^node functions\/cli\/pinned-node\.mjs \S+\.ts$/);
    }
    expect(scripts['backup-guard']).toBe('node functions/cli/backup-guard.mjs');
  });

  it('runs every bench:* script from `npm run bench`, each through the launcher, as the README lists them', async () => {
    // Prepare
    const { scripts } = JSON.parse(await readFile('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    const readme = await readFile('README.md', 'utf8');
    const benches = Object.keys(scripts).filter((name) => name.startsWith('bench:'));

    // Assess
    expect(benches.length).toBeGreaterThan(0);
    expect(scripts.bench?.split(' && ').sort()).toEqual(benches.map((name) => `npm run -s ${name}`).sort());
    for (const name of benches) {
      expect(scripts[name]).toMatch(/^node functions\/cli\/pinned-node\.mjs bench\/\S+\.ts$/);
      expect(readme).toContain(`| \`${name}\` |`);
    }
  });
});

describe('backup-guard init', () => {
  it('writes a commented starter policy that loads as the defaults', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'cli-init-'));
    const file = join(dir, 'policy.yaml');
    const io = captureIo();

    // Act
    const code = await runCli(['init', file], io);

    // Assess
    expect(code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(STARTER_POLICY);
    expect(STARTER_POLICY.match(/^\s*#/gm)?.length).toBeGreaterThan(10);
    expect(await loadPolicyFile(file)).toEqual(parsePolicy({}));
    expect(io.err()).toBe(`Wrote ${file}. Next: npx backup-guard audit --policy ${file}\n`);
  });

  it('says of the chatops allow-lists what an empty one does, as the authorization answers', () => {
    // Prepare: the starter's chatops section with channels left empty, the other lists as shown.
    const policy = parsePolicy({
      chatops: { slack: { teams: ['T012ABCDEF'], channels: [] }, permissions: { snapshot: ['U012ABCDEF'] } },
    }).chatops;
    const comment =
      STARTER_POLICY.split('\n').find((line) => line.startsWith('# Who may run the chat commands')) ?? '';

    // Act: a request from any channel of the allowed team, and from a team not listed.
    const anyChannel = () =>
      authorizeSlackPlace({ teamId: 'T012ABCDEF', channelId: 'C0ANYWHERE', userId: 'U012ABCDEF' }, policy);
    const noTeam = () =>
      authorizeSlackPlace(
        { teamId: 'T012ABCDEF', channelId: 'C0ANYWHERE', userId: 'U012ABCDEF' },
        { ...policy, slack: { ...policy.slack, teams: [] } },
      );

    // Assess: an empty channels list allows every channel; empty teams or permissions allow nobody.
    expect(anyChannel).not.toThrow();
    expect(noTeam).toThrow(/not allowed/);
    expect(comment).not.toContain('every list is an allow-list and an empty one allows nobody');
    expect(STARTER_POLICY).toMatch(/empty channels allows every channel of those teams/);
  });

  it('shows the dumps, keys and chatops sections commented out, each of which parses when uncommented', async () => {
    // Prepare: a commented-out section starts with `# name:` at column 0 and runs to the blank line.
    const lines = STARTER_POLICY.split('\n');
    const sections = new Map<string, string>();
    for (let index = 0; index < lines.length; index++) {
      const name = /^# ([a-z]+):$/.exec(lines[index] ?? '')?.[1];
      if (!name) continue;
      const block: string[] = [];
      for (let end = index; end < lines.length && lines[end]?.startsWith('#'); end++) {
        block.push((lines[end] ?? '').replace(/^# ?/, ''));
      }
      sections.set(name, block.join('\n'));
    }
    const dir = await mkdtemp(join(tmpdir(), 'cli-init-'));

    // Act: the starter with each section uncommented in turn, loaded as a user's file would be.
    const parsed = new Map<string, Awaited<ReturnType<typeof loadPolicyFile>>>();
    for (const [name, block] of sections) {
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, `${STARTER_POLICY}\n${block}\n`);
      parsed.set(name, await loadPolicyFile(file));
    }

    // Assess: the fields a user of each section needs are shown where they belong, and parse.
    expect([...sections.keys()]).toEqual(['dumps', 'keys', 'chatops']);
    expect(parsed.get('dumps')?.dumps.locations[0]?.suffix).toBe('.dump');
    expect(parsed.get('keys')?.keys?.kmsKeyAccounts).toEqual([]);
    expect(sections.get('keys')).toContain('kmsKeyAccounts:');
    expect(parsed.get('chatops')?.chatops.slack.enterpriseId).toBe('E012ABCDEF');
    const all = join(dir, 'all.yaml');
    await writeFile(all, `${STARTER_POLICY}\n${[...sections.values()].join('\n')}\n`);
    expect((await loadPolicyFile(all)).keys?.items['ca-key']?.jsonKey).toBe('key');
  });

  it('refuses to overwrite an existing file and leaves it as it was', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'cli-init-'));
    const file = join(dir, 'policy.yaml');
    await writeFile(file, 'pitr: { minPitrDays: 35 }\n');
    const io = captureIo();

    // Act
    const code = await runCli(['init', file], io);

    // Assess
    expect(code).toBe(2);
    expect(io.err()).toBe(
      `backup-guard: ${file} already exists; init never overwrites a policy. Name another file: backup-guard init other.yaml\n`,
    );
    expect(await readFile(file, 'utf8')).toBe('pitr: { minPitrDays: 35 }\n');
  });

  it('refuses a file in a missing directory and a second file name', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'cli-init-'));
    const io = captureIo();

    // Act
    const missing = await runCli(['init', join(dir, 'nope', 'policy.yaml')], io);
    const two = await runCli(['init', 'a.yaml', 'b.yaml'], io);

    // Assess
    expect([missing, two]).toEqual([2, 2]);
    expect(io.err()).toContain(
      `init ${join(dir, 'nope', 'policy.yaml')}: the directory ${join(dir, 'nope')} does not exist`,
    );
    expect(io.err()).toContain('init writes one policy file; got 2: a.yaml b.yaml');
  });

  it('refuses a blank file name (an unset shell variable), naming the default, instead of a name of nothing', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['init', ''], io);

    // Assess
    expect(code).toBe(2);
    expect(io.err()).toBe(
      'backup-guard: init needs a file name when one is given: backup-guard init FILE.yaml, or no name for policy.yaml\n',
    );
  });

  it('refuses a file name the policy loader would read as JSON, and a directory without advising an option init lacks', async () => {
    // Prepare: init writes YAML; audit --policy reads a name without .yaml or .yml as JSON, so
    // `init policy.json` wrote a starter its own next step refused ("not valid .json").
    const dir = await mkdtemp(join(tmpdir(), 'cli-init-'));
    const io = captureIo();

    // Act
    const codes = [
      await runCli(['init', join(dir, 'policy.json')], io),
      await runCli(['init', join(dir, 'policy')], io),
      await runCli(['init', dir], io),
    ];
    const written = await runCli(['init', join(dir, 'policy.YML')], io);

    // Assess
    expect(codes).toEqual([2, 2, 2]);
    const lines = io.err().trimEnd().split('\n');
    for (const name of ['policy.json', 'policy']) {
      expect(lines).toContain(
        `backup-guard: init ${join(dir, name)}: init writes YAML, which audit --policy reads only from a .yaml or .yml file (any other name is read as JSON); name it ${join(dir, name.replace(/\.json$/, ''))}.yaml`,
      );
    }
    expect(lines).toContain(`backup-guard: init ${dir} is a directory; name a file`);
    expect(written).toBe(0);
    expect(await readdir(dir)).toEqual(['policy.YML']);
  });
});
