/**
 * The README says only what runs: every shell example names a real npm script, command, flag and
 * file, and the quick start's CLI lines, run as written (in a fresh directory, against the
 * simulator), exit as documented and redirect clean JSON.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../functions/cli/cli.ts';
import { USAGE as GCP_DEPLOY_USAGE } from '../../infra/gcp/deploy.ts';
import { simCredentials } from '../sim/accounts.ts';
import { loadScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';

const run = promisify(execFile);

/** Every line of every ```sh block of a Markdown file, comments and blank lines removed. */
function shellLines(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? '');
  return blocks
    .flatMap((block) => block.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** The commands of one line: split at `&&`, `;` and `|`, each without its output redirection. */
function commandsOf(line: string): string[][] {
  return line
    .split(/&&|;|\|/)
    .map((part) =>
      part
        .replace(/\s>\s*\S+/, '')
        .trim()
        .split(/\s+/),
    )
    .filter((words) => words.length > 0 && words[0] !== '');
}

/** Why a `backup-guard` invocation would not run as written; undefined when it would. */
function cliProblem(args: readonly string[]): string | undefined {
  const [name, ...rest] = args;
  if (name === '--help' || name === '--version') return undefined;
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) return `no command '${name}'`;
  const flags = new Set(['help', ...Object.keys(command.options ?? {})]);
  for (const [index, word] of rest.entries()) {
    if (!word.startsWith('--')) continue;
    if (!flags.has(word.slice(2))) return `${name} has no option ${word}`;
    const value = rest[index + 1] ?? '';
    const file = /^[\w./-]+\.(ya?ml|json)$/.test(value) ? value : undefined;
    // policy.yaml is what `init` writes in the quick start; every other file must ship.
    if (word === '--policy' && file && file !== 'policy.yaml' && !existsSync(file)) return `no file ${file}`;
  }
  return undefined;
}

/** Why one command of the README would not run as written; undefined when it would. */
async function problemOf(words: readonly string[]): Promise<string | undefined> {
  const scripts = (JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> })
    .scripts;
  const [tool, first, ...rest] = words;
  if (tool === 'npm') {
    if (first === 'ci' || first === 'test') return undefined;
    if (first !== 'run') return `npm ${first} is not documented usage`;
    const [script, separator, ...args] = rest;
    if (!script || !(script in scripts)) return `no npm script '${script}'`;
    if (separator !== undefined && separator !== '--')
      return `npm run ${script} needs -- before its arguments`;
    if (script === 'backup-guard') return cliProblem(args);
    if (script === 'deploy:gcp') {
      const unknown = args.filter((arg) => arg.startsWith('--') && !GCP_DEPLOY_USAGE.includes(`${arg} `));
      return unknown.length > 0 ? `deploy:gcp has no option ${unknown.join(', ')}` : undefined;
    }
    return undefined;
  }
  if (tool === 'npx') {
    if (first === 'backup-guard') return cliProblem(rest);
    if (first === 'cdk' || first === 'node') {
      return existsSync(`node_modules/.bin/${first}`) ? undefined : `${first} is not a devDependency binary`;
    }
    return `npx ${first} is not a pinned devDependency`;
  }
  return `'${tool}' is not a command this repository provides`;
}

describe('README shell examples', () => {
  it('name only npm scripts, commands, options and files that exist', async () => {
    // Prepare
    const lines = shellLines(await readFile('README.md', 'utf8'));

    // Act
    const problems: string[] = [];
    for (const line of lines) {
      for (const words of commandsOf(line)) {
        const problem = await problemOf(words);
        if (problem) problems.push(`${line}: ${problem}`);
      }
    }

    // Assess
    expect(lines.length).toBeGreaterThan(10);
    expect(lines.some((line) => line.startsWith('npx backup-guard audit'))).toBe(true);
    expect(problems).toEqual([]);
  });

  it('name only real commands, options and files in the Examples of every --help and in examples/*.yaml', async () => {
    // Prepare: each help's example lines, and the commands the example policies' comments show.
    const helpLines = COMMANDS.flatMap((command) =>
      (command.details ?? '').split('\n').filter((line) => /^ {2}np[mx] /.test(line)),
    );
    const files = (await readdir('examples')).map((name) => `examples/${name}`);
    const exampleLines = (await Promise.all(files.map((file) => readFile(file, 'utf8')))).flatMap((text) =>
      text
        .split('\n')
        .flatMap((line) => /^#\s+(np[mx] .*)$/.exec(line)?.[1] ?? [])
        .map((line) => line.replace(/\s+#.*$/, '')),
    );

    // Act
    const problems: string[] = [];
    for (const line of [...helpLines.map((line) => line.trim()), ...exampleLines]) {
      for (const words of commandsOf(line.replaceAll('"', ''))) {
        const problem = await problemOf(words);
        if (problem) problems.push(`${line}: ${problem}`);
      }
    }

    // Assess
    expect(helpLines.length).toBeGreaterThan(8);
    expect(exampleLines.length).toBeGreaterThanOrEqual(3);
    expect(problems).toEqual([]);
  });

  it('names every directory of functions/ in the Architecture block', async () => {
    // Prepare
    const readme = await readFile('README.md', 'utf8');
    const block = readme.slice(readme.indexOf('## Architecture')).split('```')[1] ?? '';
    const dirs = (await readdir('functions', { withFileTypes: true })).filter((entry) => entry.isDirectory());

    // Act
    const unnamed = dirs.map((dir) => `functions/${dir.name}/`).filter((dir) => !block.includes(`\n${dir} `));

    // Assess
    expect(dirs.length).toBeGreaterThan(5);
    expect(unnamed).toEqual([]);
  });

  it('flags an option that does not exist, so the check above can fail', async () => {
    expect(await problemOf(['npx', 'backup-guard', 'audit', '--colour'])).toBe(
      'audit has no option --colour',
    );
    expect(await problemOf(['npm', 'run', 'backup-guard', 'audit'])).toBe(
      'npm run backup-guard needs -- before its arguments',
    );
    expect(await problemOf(['npx', 'backup-guard', 'audit', '--policy', 'examples/nope.yaml'])).toBe(
      'no file examples/nope.yaml',
    );
  });
});

describe('README quick start, run as written', () => {
  let sim: Sim;
  beforeAll(async () => {
    sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml') });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('writes the starter policy and a clean JSON report in a fresh directory', async () => {
    // Prepare: the quick start's backup-guard lines; the cloud is the simulator.
    const readme = await readFile('README.md', 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## The checks'));
    const lines = shellLines(quickStart).filter((line) => line.startsWith('npx backup-guard'));
    const cwd = await mkdtemp(join(tmpdir(), 'quick-start-'));
    const launcher = resolve('functions/cli/backup-guard.mjs');
    const { accessKeyId, secretAccessKey } = simCredentials();
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: cwd,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };

    // Act
    const results: { line: string; code: number; stdout: string }[] = [];
    for (const line of lines) {
      const redirect = /\s>\s*(\S+)$/.exec(line)?.[1];
      const args = line
        .replace(/\s>\s*\S+$/, '')
        .split(/\s+/)
        .slice(2);
      if (args[0] === 'audit') args.push('--endpoint-url', sim.endpoint);
      const result = await run(process.execPath, [launcher, ...args], { cwd, env }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
      if (redirect) await writeFile(join(cwd, redirect), result.stdout);
      results.push({ line, ...result });
    }

    // Assess: init succeeds; the demo fleet fails checks (exit 1), it does not break (exit 2).
    expect(lines).toHaveLength(3);
    expect(results.map((result) => result.code)).toEqual([0, 1, 1]);
    expect(await readFile(join(cwd, 'policy.yaml'), 'utf8')).toContain('minPitrDays: 30');
    const report = JSON.parse(await readFile(join(cwd, 'audit.json'), 'utf8')) as { findings: unknown[] };
    expect(report.findings.length).toBeGreaterThan(0);
  });
});
