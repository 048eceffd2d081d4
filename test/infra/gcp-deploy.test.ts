import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PolicyError } from '../../functions/core/errors.ts';
import { POLICY_ENV, type Policy, parsePolicy } from '../../functions/core/policy.ts';
import { GcpDeployError, parseDeployArguments } from '../../infra/gcp/deploy.ts';
import {
  CLOUD_SQL_VIEWER_ROLE,
  FUNCTION_URL,
  fillPlaceholders,
  GCP_ENTRY_POINT,
  type GcpStep,
  planGcpDeployment,
  planGcpTeardown,
  RUN_INVOKER_ROLE,
  renderShellScript,
  SERVICE_ACCOUNT_UNIQUE_ID,
  shellQuote,
} from '../../infra/gcp/plan.ts';
import { REPO_ROOT } from './support.ts';

const POLICY_INPUT = {
  gcp: {
    projects: ['certctl-prod-1', 'certctl-stage-2'],
    federation: {
      roleArn: 'arn:aws:iam::111111111111:role/certctl-backup-guard-gcp',
      audience: 'certctl-backup-guard-audit',
      serviceAccountUniqueId: '109876543210987654321',
    },
  },
  securityHub: { enabled: true, centralAccountId: '111111111111', centralRegion: 'eu-west-1' },
  schedules: { auditPitr: 'rate(30 minutes)' },
};
const POLICY: Policy = parsePolicy(POLICY_INPUT);
/** `${NAME}`, the placeholder form plan steps use for captured values. */
const placeholder = (name: string) => `\${${name}}`;
const RUNTIME_SA = 'certctl-audit-pitr@certctl-ops.iam.gserviceaccount.com';
const INVOKER_SA = 'certctl-audit-pitr-invoker@certctl-ops.iam.gserviceaccount.com';

function plan(policy: Policy = POLICY): GcpStep[] {
  return planGcpDeployment({
    project: 'certctl-ops',
    region: 'europe-west1',
    policy,
    stagingDir: '/tmp/stage',
  });
}

/** Every command line a plan may run (ensure steps contribute probe, create and update). */
function commands(steps: readonly GcpStep[]): string[][] {
  return steps.flatMap((step) => {
    if (step.kind === 'run') return [[...step.argv]];
    if (step.kind === 'ensure')
      return [step.probe, step.create, ...(step.update ? [step.update] : [])].map((a) => [...a]);
    return [];
  });
}

function commandStartingWith(steps: readonly GcpStep[], ...prefix: string[]): string[] {
  const found = commands(steps).filter((argv) => prefix.every((word, i) => argv[i] === word));
  expect(found).toHaveLength(1);
  return found[0] ?? [];
}

describe('planGcpDeployment', () => {
  it('deploys a 2nd gen Node.js 24 HTTP function with entry point auditPitr, internal-only and authenticated', () => {
    // Act
    const deploy = commandStartingWith(plan(), 'gcloud', 'functions', 'deploy');

    // Assess
    expect(deploy).toEqual(
      expect.arrayContaining([
        'certctl-audit-pitr',
        '--gen2',
        '--project=certctl-ops',
        '--region=europe-west1',
        '--runtime=nodejs24',
        '--trigger-http',
        `--entry-point=${GCP_ENTRY_POINT}`,
        '--ingress-settings=internal-only',
        '--no-allow-unauthenticated',
        `--service-account=${RUNTIME_SA}`,
        '--env-vars-file=/tmp/stage/env.yaml',
        '--source=/tmp/stage/source',
      ]),
    );
  });

  it('never allows unauthenticated invocations in any command', () => {
    // Act
    const all = commands(plan()).flat();

    // Assess
    expect(all.filter((argument) => argument.includes('--allow-unauthenticated'))).toEqual([]);
    expect(
      all.filter((argument) => argument.includes('allUsers') || argument.includes('allAuthenticatedUsers')),
    ).toEqual([]);
  });

  it('grants the runtime account roles/cloudsql.viewer on each audited project and nothing else', () => {
    // Act
    const bindings = commands(plan())
      .filter((argv) => argv.some((argument) => argument.startsWith('--role=')))
      .map((argv) => {
        const firstFlag = argv.findIndex((argument) => argument.startsWith('--'));
        return {
          command: argv.slice(0, firstFlag - 1).join(' '),
          target: argv[firstFlag - 1],
          member: argv.find((argument) => argument.startsWith('--member=')),
          role: argv.find((argument) => argument.startsWith('--role=')),
        };
      });

    // Assess: two project bindings for the runtime account, one service binding for the invoker.
    expect(bindings).toEqual([
      {
        command: 'gcloud projects add-iam-policy-binding',
        target: 'certctl-prod-1',
        member: `--member=serviceAccount:${RUNTIME_SA}`,
        role: `--role=${CLOUD_SQL_VIEWER_ROLE}`,
      },
      {
        command: 'gcloud projects add-iam-policy-binding',
        target: 'certctl-stage-2',
        member: `--member=serviceAccount:${RUNTIME_SA}`,
        role: `--role=${CLOUD_SQL_VIEWER_ROLE}`,
      },
      {
        command: 'gcloud run services add-iam-policy-binding',
        target: 'certctl-audit-pitr',
        member: `--member=serviceAccount:${INVOKER_SA}`,
        role: `--role=${RUN_INVOKER_ROLE}`,
      },
    ]);
  });

  it('creates or updates the scheduler job with OIDC auth whose audience is the function URL', () => {
    // Act
    const ensure = plan().find(
      (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
        step.kind === 'ensure' && step.probe[1] === 'scheduler',
    );

    // Assess
    for (const argv of [ensure?.create ?? [], ensure?.update ?? []]) {
      expect(argv).toEqual(
        expect.arrayContaining([
          'certctl-audit-pitr-schedule',
          '--location=europe-west1',
          '--schedule=*/30 * * * *',
          '--time-zone=Etc/UTC',
          `--uri=${placeholder(FUNCTION_URL)}`,
          `--oidc-service-account-email=${INVOKER_SA}`,
          `--oidc-token-audience=${placeholder(FUNCTION_URL)}`,
          '--http-method=POST',
        ]),
      );
    }
    expect(ensure?.create.slice(0, 5)).toEqual(['gcloud', 'scheduler', 'jobs', 'create', 'http']);
    expect(ensure?.update?.slice(0, 5)).toEqual(['gcloud', 'scheduler', 'jobs', 'update', 'http']);
  });

  it('captures the function URL after the deploy and before the job uses it, and the uniqueId before the note', () => {
    // Act
    const steps = plan();
    const indexOf = (predicate: (step: GcpStep) => boolean) => steps.findIndex(predicate);
    const deployAt = indexOf((s) => s.kind === 'run' && s.argv[2] === 'deploy');
    const urlAt = indexOf((s) => s.kind === 'run' && s.capture === FUNCTION_URL);
    const jobAt = indexOf((s) => s.kind === 'ensure' && s.probe[1] === 'scheduler');
    const uniqueIdAt = indexOf((s) => s.kind === 'run' && s.capture === SERVICE_ACCOUNT_UNIQUE_ID);
    const note = steps.at(-1);

    // Assess
    expect(deployAt).toBeLessThan(urlAt);
    expect(urlAt).toBeLessThan(jobAt);
    expect(uniqueIdAt).toBeGreaterThan(-1);
    expect(steps[uniqueIdAt]).toMatchObject({
      argv: expect.arrayContaining(['--format=value(uniqueId)', RUNTIME_SA]),
    });
    expect(note).toMatchObject({
      kind: 'note',
      message: expect.stringContaining(placeholder(SERVICE_ACCOUNT_UNIQUE_ID)),
    });
  });

  it('passes the validated policy as BACKUP_GUARD_POLICY in the env file, on one unfolded line', () => {
    // Act
    const envFile = plan().find((s) => s.kind === 'write-file' && s.path === '/tmp/stage/env.yaml');

    // Assess
    const content = envFile?.kind === 'write-file' ? envFile.content : '';
    const environment = parseYaml(content) as Record<string, string>;
    expect(parsePolicy(JSON.parse(environment[POLICY_ENV] ?? 'null'))).toEqual(POLICY);
    expect(content.split('\n').filter((line) => line.startsWith(POLICY_ENV))).toHaveLength(1);
    expect(content).toContain(`${POLICY_ENV}: '{"pitr":{"minPitrDays":30,`);
  });

  it('bundles the handler with the Functions Framework external and declared as the only dependency', () => {
    // Act
    const steps = plan();
    const bundle = commandStartingWith(steps, 'npx', 'esbuild');
    const manifest = steps.find((s) => s.kind === 'write-file' && s.path.endsWith('source/package.json'));

    // Assess
    expect(bundle).toEqual(
      expect.arrayContaining([
        'functions/handlers/gcp/audit-pitr.ts',
        '--format=esm',
        '--target=node24',
        '--external:@google-cloud/functions-framework',
        '--outfile=/tmp/stage/source/index.mjs',
      ]),
    );
    const packageJson = JSON.parse(manifest?.kind === 'write-file' ? manifest.content : '{}');
    expect(packageJson).toMatchObject({ type: 'module', main: 'index.mjs' });
    expect(Object.keys(packageJson.dependencies)).toEqual(['@google-cloud/functions-framework']);
  });

  it('fails naming gcp.projects when the policy lists no project to audit', () => {
    // Act / Assess
    expect(() => plan(parsePolicy({}))).toThrow(PolicyError);
    expect(() => plan(parsePolicy({}))).toThrow(/gcp\.projects: lists no project to audit/);
  });

  it('fails naming schedules.auditPitr when the rate has no unix-cron form', () => {
    // Prepare
    const policy = parsePolicy({ ...POLICY_INPUT, schedules: { auditPitr: 'rate(45 minutes)' } });

    // Act / Assess
    expect(() => plan(policy)).toThrow(/schedules\.auditPitr: .*no Cloud Scheduler equivalent/);
  });
});

describe('planGcpTeardown', () => {
  it('deletes the job, the function, the project bindings and both accounts, tolerating what is gone', () => {
    // Act
    const steps = planGcpTeardown({ project: 'certctl-ops', region: 'europe-west1', policy: POLICY });

    // Assess
    expect(commands(steps).map((argv) => argv.slice(0, 5).join(' '))).toEqual([
      'gcloud scheduler jobs delete certctl-audit-pitr-schedule',
      'gcloud functions delete certctl-audit-pitr --gen2',
      'gcloud projects remove-iam-policy-binding certctl-prod-1 --member=serviceAccount:certctl-audit-pitr@certctl-ops.iam.gserviceaccount.com',
      'gcloud projects remove-iam-policy-binding certctl-stage-2 --member=serviceAccount:certctl-audit-pitr@certctl-ops.iam.gserviceaccount.com',
      `gcloud iam service-accounts delete ${RUNTIME_SA}`,
      `gcloud iam service-accounts delete ${INVOKER_SA}`,
    ]);
    expect(steps.every((step) => step.kind === 'run' && step.allowFailure)).toBe(true);
  });
});

describe('renderShellScript', () => {
  it('prints every command of the plan as valid bash', () => {
    // Prepare
    const steps = plan();

    // Act
    const script = renderShellScript(steps);

    // Assess
    for (const argv of commands(steps)) expect(script).toContain(argv.map(shellQuote).join(' '));
    expect(script).toContain('FUNCTION_URL="$(gcloud functions describe certctl-audit-pitr');
    expect(spawnSync('bash', ['-n'], { input: script }).status).toBe(0);
  });

  it('quotes arguments so placeholders expand and nothing else does', () => {
    // Act / Assess
    expect(shellQuote('--project=certctl-ops')).toBe('--project=certctl-ops');
    const url = placeholder(FUNCTION_URL);
    expect(shellQuote(`--uri=${url}`)).toBe(`"--uri=${url}"`);
    expect(shellQuote(`--description=say "$HOME" ${url}`)).toBe(`"--description=say \\"\\$HOME\\" ${url}"`);
    expect(shellQuote("it's (here)")).toBe("'it'\\''s (here)'");
  });

  it('fills placeholders from captured values and refuses an uncaptured one', () => {
    // Act / Assess
    const url = placeholder(FUNCTION_URL);
    expect(fillPlaceholders(`--uri=${url}`, new Map([[FUNCTION_URL, 'https://x.run.app']]))).toBe(
      '--uri=https://x.run.app',
    );
    expect(() => fillPlaceholders(url, new Map())).toThrow(/before any step captured it/);
  });
});

describe('infra/gcp/deploy.ts', () => {
  let workDir: string;
  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'backup-guard-gcp-test-'));
    writeFileSync(join(workDir, 'policy.json'), JSON.stringify(POLICY_INPUT));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  function run(...args: string[]) {
    return spawnSync(process.execPath, ['infra/gcp/deploy.ts', ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
  }

  it('prints the deployment as a script and runs nothing with --dry-run', () => {
    // Prepare
    const stagingDir = join(workDir, 'stage');

    // Act
    const result = run(
      '--project=certctl-ops',
      '--region=europe-west1',
      `--policy=${join(workDir, 'policy.json')}`,
      `--staging-dir=${stagingDir}`,
      '--dry-run',
    );

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(result.stdout).toContain('gcloud functions deploy certctl-audit-pitr --gen2');
    expect(result.stdout).toContain('gcloud scheduler jobs create http certctl-audit-pitr-schedule');
    expect(existsSync(stagingDir)).toBe(false);
  });

  it('prints usage and exits 0 with --help', () => {
    // Act
    const result = run('--help');

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: node infra/gcp/deploy.ts --project <id> --region <region>');
    expect(result.stdout).toContain('--dry-run');
  });

  it('exits 1 naming the field when the policy cannot be deployed to GCP', () => {
    // Act: the cdk.json policy lists no GCP project.
    const result = run('--project=certctl-ops', '--region=europe-west1', '--dry-run');

    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('gcp.projects: lists no project to audit');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('requires --project and --region', () => {
    // Act / Assess
    expect(() => parseDeployArguments(['--region=europe-west1'])).toThrow(GcpDeployError);
    expect(() => parseDeployArguments(['--project=p', '--regoin=x'])).toThrow(/Unknown option '--regoin'/);
    expect(parseDeployArguments(['--help'])).toBeUndefined();
  });
});
