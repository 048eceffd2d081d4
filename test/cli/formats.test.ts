/**
 * Filters and formats of `backup-guard audit` against the simulator: what each flag selects, the
 * exit code it yields, and the files `--output-dir` writes.
 */
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../functions/cli/cli.ts';
import type { CliIo } from '../../functions/cli/command.ts';
import { auditCommand } from '../../functions/cli/commands/audit.ts';
import { CATALOG_SCHEMA_VERSION } from '../../functions/cli/commands/checks.ts';
import { registerCheckGroup } from '../../functions/jobs/groups.ts';
import { REPORT_SCHEMA_VERSION } from '../../functions/publish/json.ts';
import { fakeWorld, GROUP, selftestGroup } from '../jobs/throwaway-group/group.ts';
import { simCredentials } from '../sim/accounts.ts';
import { loadScenario } from '../sim/scenario.ts';
import { type Sim, startSim } from '../sim/server.ts';
import { captureIo } from './support.ts';

let sim: Sim;

beforeAll(async () => {
  sim = await startSim({ scenario: await loadScenario('test/sim/scenarios/demo-aws.yaml') });
});

afterAll(async () => {
  await sim.close();
});

interface JsonReport {
  schemaVersion: number;
  summary: { exitCode: number };
  counts: Record<string, number>;
  findings: { checkId: string; status: string; resource: { id: string } }[];
  scopes: { scope: { group: string } }[];
}

/** `audit` over us-east-1 of the simulator (3 databases: one with backups off, one with stalled WAL). */
async function audit(extra: string[], io: CliIo & { out(): string; err(): string } = captureIo()) {
  const code = await runCli(
    ['audit', '--region', 'us-east-1', '--endpoint-url', sim.endpoint, '--quiet', ...extra],
    io,
    { awsCredentials: simCredentials() },
  );
  return { code, out: io.out(), err: io.err() };
}

describe('backup-guard audit filters', () => {
  it('reports only the named checks, with their exit code, when --check lists ids', async () => {
    // Act
    const { code, out } = await audit(['--check', 'pitr.deletion-protection', '--format', 'json']);

    // Assess: deletion protection is on everywhere in us-east-1, the other checks fail there.
    const report = JSON.parse(out) as JsonReport;
    expect(new Set(report.findings.map((f) => f.checkId))).toEqual(new Set(['pitr.deletion-protection']));
    expect(report.summary.exitCode).toBe(0);
    expect(code).toBe(0);
  });

  it('leaves excluded checks out and keeps the others when --exclude-check', async () => {
    // Act
    const { out } = await audit(['--exclude-check', 'pitr.lag,pitr.window', '--format', 'json']);

    // Assess
    const ids = new Set((JSON.parse(out) as JsonReport).findings.map((f) => f.checkId));
    expect(ids.has('pitr.lag')).toBe(false);
    expect(ids.has('pitr.window')).toBe(false);
    expect(ids.has('pitr.retention')).toBe(true);
  });

  it('keeps only checks of the given severities, passes included, when --severity critical', async () => {
    // Act
    const { code, out } = await audit(['--severity', 'CRITICAL', '--format', 'json']);

    // Assess: pitr.enabled is the CRITICAL check; certctl-ra-db has backups off.
    const report = JSON.parse(out) as JsonReport;
    expect(new Set(report.findings.map((f) => f.checkId))).toEqual(new Set(['pitr.enabled']));
    expect(report.findings.map((f) => f.status).sort()).toEqual(['FAILED', 'PASSED', 'PASSED']);
    expect(code).toBe(1);
  });

  it('hides passes in the table but counts them when --failed-only', async () => {
    // Act
    const all = await audit(['--format', 'json']);
    const failedOnly = await audit(['--failed-only', '--format', 'json']);

    // Assess
    const whole = JSON.parse(all.out) as JsonReport;
    const view = JSON.parse(failedOnly.out) as JsonReport;
    expect(view.findings.every((f) => f.status !== 'PASSED')).toBe(true);
    expect(view.counts).toEqual(whole.counts);
    expect([failedOnly.code, view.summary.exitCode]).toEqual([all.code, whole.summary.exitCode]);
  });

  it('runs only the named group, handing it to the runner, when --group', async () => {
    // Prepare: a second group registered for this test only.
    const unregister = registerCheckGroup(selftestGroup);
    fakeWorld.clear();
    fakeWorld.set('us-east-1', [{ name: 'certctl-canary-us', canaryAgeHours: 1 }]);
    try {
      // Act
      const both = await audit(['--format', 'json']);
      const pitrOnly = await audit(['--group', 'pitr', '--format', 'json']);

      // Assess
      const groups = (text: string) =>
        (JSON.parse(text) as JsonReport).scopes.map((s) => s.scope.group).sort();
      expect(groups(both.out)).toEqual(['pitr', GROUP]);
      expect(groups(pitrOnly.out)).toEqual(['pitr']);
    } finally {
      unregister();
    }
  });
});

describe('backup-guard audit progress', () => {
  it('counts each scope in what its group judges: databases, or the nouns a group names, else resources', async () => {
    // Prepare: the self-test group twice, once naming its facts and once not.
    const run = async (group: typeof selftestGroup) => {
      const unregister = registerCheckGroup(group);
      fakeWorld.clear();
      fakeWorld.set('us-east-1', [{ name: 'certctl-canary-us', canaryAgeHours: 1 }]);
      try {
        const io = captureIo();
        await runCli(
          ['audit', '--region', 'us-east-1', '--endpoint-url', sim.endpoint, '--format', 'json'],
          io,
          { awsCredentials: simCredentials() },
        );
        return io.err();
      } finally {
        unregister();
      }
    };

    // Act
    const named = await run({ ...selftestGroup, resources: ['canary', 'canaries'] });
    const unnamed = await run(selftestGroup);

    // Assess
    expect(named).toContain('pitr: 3 databases');
    expect(named).toContain(`${GROUP}: 1 canary\n`);
    expect(unnamed).toContain(`${GROUP}: 1 resource\n`);
  });
});

describe('backup-guard audit formats', () => {
  it('writes one file per requested format when --output-dir, creating the directory', async () => {
    // Prepare
    const dir = join(await mkdtemp(join(tmpdir(), 'cli-formats-')), 'reports');
    const io = captureIo();

    // Act
    const { code } = await audit(['--output-dir', dir, '--format', 'json,csv,markdown,html,table'], io);

    // Assess
    expect(code).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([
      'backup-guard-audit.csv',
      'backup-guard-audit.html',
      'backup-guard-audit.json',
      'backup-guard-audit.md',
      'backup-guard-audit.txt',
    ]);
    const json = JSON.parse(await readFile(join(dir, 'backup-guard-audit.json'), 'utf8')) as JsonReport;
    expect(json.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    const csv = (await readFile(join(dir, 'backup-guard-audit.csv'), 'utf8')).split('\r\n');
    expect(csv[0]).toMatch(/^status,severity,checkId,/);
    expect(csv.length - 2).toBe(json.findings.length);
    expect(await readFile(join(dir, 'backup-guard-audit.md'), 'utf8')).toContain('## To fix');
    expect(await readFile(join(dir, 'backup-guard-audit.txt'), 'utf8')).not.toContain('\u001b[');
    expect(io.out()).toBe('');
  });

  it('prints a report to stdout rather than lose it, and exits 2, when its file cannot be written after the audit', async () => {
    // Prepare: the directory is fine, but a directory already sits where the JSON report goes.
    const dir = await mkdtemp(join(tmpdir(), 'cli-formats-'));
    await mkdir(join(dir, 'backup-guard-audit.json'));
    const io = captureIo();

    // Act
    const { code, out, err } = await audit(['--output-dir', dir, '--format', 'json,csv'], io);

    // Assess
    expect(code).toBe(2);
    expect(err).toContain(`backup-guard: could not write ${join(dir, 'backup-guard-audit.json')} (`);
    expect(err).toContain('the json report follows on stdout');
    expect((JSON.parse(out) as JsonReport).findings.length).toBeGreaterThan(0);
    expect(await readFile(join(dir, 'backup-guard-audit.csv'), 'utf8')).toMatch(/^status,/);
  });

  it('colours the table: --no-color off, else FORCE_COLOR on unless 0, else NO_COLOR off, else on a terminal', async () => {
    // Act
    const forced = await audit([], captureIo({ FORCE_COLOR: '1' }));
    const refused = await audit(['--no-color'], captureIo({ FORCE_COLOR: '1' }));
    const tty = await audit([], captureIo({}, { color: true }));
    const noColor = await audit([], captureIo({ NO_COLOR: '1' }, { color: true }));
    // The README's order: --no-color, then FORCE_COLOR (on, or off when 0 or false), then NO_COLOR.
    const forcedOverNoColor = await audit([], captureIo({ FORCE_COLOR: '1', NO_COLOR: '1' }));
    const forceZero = await audit([], captureIo({ FORCE_COLOR: '0' }, { color: true }));

    // Assess
    expect(forced.out).toContain('\u001b[31m');
    expect(refused.out).not.toContain('\u001b[');
    expect(tty.out).toContain('\u001b[31m');
    expect(noColor.out).not.toContain('\u001b[');
    expect(forcedOverNoColor.out).toContain('\u001b[31m');
    expect(forceZero.out).not.toContain('\u001b[');
    // And the help and the README say so: FORCE_COLOR=0 (or false) turns colour off, even on a
    // terminal, rather than falling through to NO_COLOR and the terminal.
    const help = auditCommand.options?.['no-color']?.help ?? '';
    expect(help).toContain('FORCE_COLOR 0 or false turns them off');
    const readme = (await readFile('README.md', 'utf8')).replace(/\s+/g, ' ');
    expect(readme).toContain('`FORCE_COLOR` turns it on (`0` or `false`: off, even on a terminal)');
  });

  it('lists the catalog as JSON with its schema version when checks --format json', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['checks', '--format', 'json'], io);

    // Assess
    expect(code).toBe(0);
    const catalog = JSON.parse(io.out()) as {
      schemaVersion: number;
      groups: { name: string }[];
      checks: { id: string; severity: string; remediation: { url: string } }[];
    };
    expect(catalog.schemaVersion).toBe(CATALOG_SCHEMA_VERSION);
    expect(catalog.groups.map((g) => g.name)).toContain('pitr');
    expect(catalog.checks.find((c) => c.id === 'pitr.enabled')).toMatchObject({ severity: 'CRITICAL' });
  });
});
