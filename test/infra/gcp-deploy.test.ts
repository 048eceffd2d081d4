import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InputError, PolicyError } from '../../functions/core/errors.ts';
import { POLICY_ENV, type Policy, parsePolicy } from '../../functions/core/policy.ts';
import { CHAT_RECORDS_BUCKET_ENV } from '../../functions/gcp/chat-environment.ts';
import { GcpDeployError, parseDeployArguments, runSteps, USAGE } from '../../infra/gcp/deploy.ts';
import { unsupportedNodeMessage } from '../../infra/gcp/node-version.ts';
import {
  BOUND_DUMP_BUCKETS_ENV,
  BOUND_PROJECTS_ENV,
  BOUND_SECRETS_ENV,
  CHAT_ACTION_PERMISSIONS,
  CHAT_ACTION_ROLE_ID,
  CHAT_RECORDS_ROLE_ID,
  CHAT_SECRET_ID,
  CHAT_TOPIC_ID,
  CLOUD_FUNCTION_BUNDLER,
  CLOUD_SQL_READER_PERMISSIONS,
  CLOUD_SQL_READER_ROLE_ID,
  CLOUD_SQL_SNAPSHOT_PERMISSIONS,
  CLOUD_SQL_SNAPSHOT_ROLE_ID,
  chatRecordsBucket,
  cloudSqlReaderRole,
  DEFAULT_FUNCTION_NAME,
  DUMP_KEY_READER_ROLE_ID,
  DUMP_READER_ROLE_ID,
  DUMPS_SERVICE_ACCOUNT_ID,
  deployedPackage,
  FUNCTION_URL,
  fillPlaceholders,
  GCP_ENTRY_POINT,
  GCP_FUNCTIONS,
  type GcpStep,
  KEYS_SERVICE_ACCOUNT_ID,
  LEGACY_CLOUD_SQL_VIEWER_ROLE,
  planGcpDeployment,
  planGcpTeardown,
  RECORDED_DUMP_BUCKETS,
  RECORDED_ENTRY,
  RECORDED_PROJECTS,
  RECORDED_SECRETS,
  RUN_BUILDER_ROLE,
  RUN_INVOKER_ROLE,
  renderShellScript,
  SECRET_ACCESSOR_ROLE,
  SECRET_METADATA_READER_ROLE_ID,
  SERVICE_ACCOUNT_UNIQUE_ID,
  STAGING_DIR,
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
const BUILDER_SA = 'certctl-audit-pitr-builder@certctl-ops.iam.gserviceaccount.com';
const SNAPSHOT_SA = 'certctl-snapshot@certctl-ops.iam.gserviceaccount.com';
const STAGE = placeholder(STAGING_DIR);
const REPOSITORY_LOCKFILE = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
};
const DEPLOYED_PACKAGE = deployedPackage(REPOSITORY_LOCKFILE);

function plan(policy: Policy = POLICY, timeZone?: string): GcpStep[] {
  return planGcpDeployment({
    project: 'certctl-ops',
    region: 'europe-west1',
    policy,
    deployedPackage: DEPLOYED_PACKAGE,
    ...(timeZone === undefined ? {} : { timeZone }),
  });
}

function teardown(policy: Policy = POLICY): GcpStep[] {
  return planGcpTeardown({ project: 'certctl-ops', region: 'europe-west1', policy });
}

/** A scratch directory removed after the test. */
const scratchDirs: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'backup-guard-gcp-test-'));
  scratchDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fake `gcloud` on PATH: logs each call to `calls.log`, prints `recorded` for the bound-projects
 * read (`recordedBuckets` and `recordedSecrets` for the bound dump buckets and secrets), answers "not found" for commands matching `notFound`, PERMISSION_DENIED for `denied`, and
 * the API not enabled (SERVICE_DISABLED) for `disabled`.
 */
function fakeGcloud(
  dir: string,
  behaviour: {
    recorded?: string;
    recordedBuckets?: string;
    recordedSecrets?: string;
    notFound?: string;
    denied?: string;
    disabled?: string;
  },
): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const script = [
    '#!/usr/bin/env bash',
    `echo "$*" >> ${shellQuote(join(dir, 'calls.log'))}`,
    behaviour.denied
      ? `if [[ "$*" == *${shellQuote(behaviour.denied)}* ]]; then echo "ERROR: (gcloud) PERMISSION_DENIED: caller lacks permission" >&2; exit 1; fi`
      : '',
    behaviour.disabled
      ? `if [[ "$*" == *${shellQuote(behaviour.disabled)}* ]]; then printf '%s\\n' "ERROR: (gcloud) PERMISSION_DENIED: Secret Manager API has not been used in project 123456789 before or it is disabled." "- '@type': type.googleapis.com/google.rpc.ErrorInfo" "  reason: SERVICE_DISABLED" >&2; exit 1; fi`
      : '',
    behaviour.notFound
      ? `if [[ "$*" == *${shellQuote(behaviour.notFound)}* ]]; then echo "ERROR: Policy binding with the specified principal, role, and condition not found!" >&2; exit 1; fi`
      : '',
    `if [[ "$*" == *${BOUND_PROJECTS_ENV}* ]]; then echo ${shellQuote(behaviour.recorded ?? '')}; fi`,
    `if [[ "$*" == *${BOUND_DUMP_BUCKETS_ENV}* ]]; then echo ${shellQuote(behaviour.recordedBuckets ?? '')}; fi`,
    `if [[ "$*" == *${BOUND_SECRETS_ENV}* ]]; then echo ${shellQuote(behaviour.recordedSecrets ?? '')}; fi`,
    'exit 0',
  ].join('\n');
  writeFileSync(join(bin, 'gcloud'), script);
  chmodSync(join(bin, 'gcloud'), 0o755);
  return bin;
}

function calls(dir: string): string[] {
  return existsSync(join(dir, 'calls.log'))
    ? readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n')
    : [];
}

/** Run `body` with `bin` first on PATH (runSteps spawns gcloud by name). */
function withPath<T>(bin: string, body: () => T): T {
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved ?? ''}`;
  try {
    return body();
  } finally {
    process.env.PATH = saved;
  }
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

/** The create-or-update steps of the custom role `id` (one per project it is defined in). */
function customRoleSteps(steps: readonly GcpStep[], id: string): Extract<GcpStep, { kind: 'ensure' }>[] {
  return steps.filter(
    (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
      step.kind === 'ensure' && step.probe.slice(0, 5).join(' ') === `gcloud iam roles describe ${id}`,
  );
}

function commandStartingWith(steps: readonly GcpStep[], ...prefix: string[]): string[] {
  const found = commands(steps).filter((argv) => prefix.every((word, i) => argv[i] === word));
  expect(found).toHaveLength(1);
  return found[0] ?? [];
}

describe('planGcpDeployment', () => {
  it('deploys a 2nd gen Node.js 24 HTTP function with entry point auditPitr, internal-only and authenticated', () => {
    // Act
    const deploy = commandStartingWith(plan(), 'gcloud', 'functions', 'deploy', 'certctl-audit-pitr');

    // Assess
    expect(deploy).toEqual(
      expect.arrayContaining([
        '--gen2',
        '--project=certctl-ops',
        '--region=europe-west1',
        '--runtime=nodejs24',
        '--trigger-http',
        `--entry-point=${GCP_ENTRY_POINT}`,
        '--ingress-settings=internal-only',
        '--no-allow-unauthenticated',
        `--service-account=${RUNTIME_SA}`,
        `--env-vars-file=${STAGE}/env.yaml`,
        `--source=${STAGE}/source`,
      ]),
    );
  });

  it('builds with the dedicated build account, which holds roles/run.builder on the host project', () => {
    // Act
    const steps = plan();
    const deploy = commandStartingWith(steps, 'gcloud', 'functions', 'deploy', 'certctl-audit-pitr');
    const builderGrant = commandStartingWith(
      steps,
      'gcloud',
      'projects',
      'add-iam-policy-binding',
      'certctl-ops',
    );

    // Assess
    expect(deploy).toContain(`--build-service-account=projects/certctl-ops/serviceAccounts/${BUILDER_SA}`);
    expect(builderGrant).toEqual(
      expect.arrayContaining([`--member=serviceAccount:${BUILDER_SA}`, `--role=${RUN_BUILDER_ROLE}`]),
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

  it('grants the runtime account only the custom Cloud SQL reader role, in each audited project', () => {
    // Act
    const bindings = commands(plan())
      .filter((argv) => argv.some((argument) => argument.startsWith('--role=')))
      .filter((argv) => argv.includes('add-iam-policy-binding'))
      .map((argv) => {
        const firstFlag = argv.findIndex((argument) => argument.startsWith('--'));
        return {
          command: argv.slice(0, firstFlag - 1).join(' '),
          target: argv[firstFlag - 1],
          member: argv.find((argument) => argument.startsWith('--member=')),
          role: argv.find((argument) => argument.startsWith('--role=')),
        };
      })
      // The snapshot function's account and its service are tested apart (its role is not this one).
      .filter((binding) => !binding.member?.includes(SNAPSHOT_SA) && binding.target !== 'certctl-snapshot');

    // Assess: the builder on the host, two project bindings for the runtime account, the invoker on the service.
    expect(bindings).toEqual([
      {
        command: 'gcloud projects add-iam-policy-binding',
        target: 'certctl-ops',
        member: `--member=serviceAccount:${BUILDER_SA}`,
        role: `--role=${RUN_BUILDER_ROLE}`,
      },
      {
        command: 'gcloud projects add-iam-policy-binding',
        target: 'certctl-prod-1',
        member: `--member=serviceAccount:${RUNTIME_SA}`,
        role: `--role=projects/certctl-prod-1/roles/${CLOUD_SQL_READER_ROLE_ID}`,
      },
      {
        command: 'gcloud projects add-iam-policy-binding',
        target: 'certctl-stage-2',
        member: `--member=serviceAccount:${RUNTIME_SA}`,
        role: `--role=projects/certctl-stage-2/roles/${CLOUD_SQL_READER_ROLE_ID}`,
      },
      {
        command: 'gcloud run services add-iam-policy-binding',
        target: 'certctl-audit-pitr',
        member: `--member=serviceAccount:${INVOKER_SA}`,
        role: `--role=${RUN_INVOKER_ROLE}`,
      },
    ]);
  });

  it('defines the custom role in each audited project with exactly the three Cloud SQL reads the audit calls', () => {
    // Act
    const roleSteps = customRoleSteps(plan(), CLOUD_SQL_READER_ROLE_ID);

    // Assess
    expect(CLOUD_SQL_READER_PERMISSIONS).toEqual([
      'cloudsql.instances.list',
      'cloudsql.instances.get',
      'cloudsql.backupRuns.list',
    ]);
    expect(roleSteps.map((step) => step.create.find((a) => a.startsWith('--project=')))).toEqual([
      '--project=certctl-prod-1',
      '--project=certctl-stage-2',
    ]);
    for (const step of roleSteps) {
      for (const argv of [step.create, step.update ?? []]) {
        expect(argv).toContain(CLOUD_SQL_READER_ROLE_ID);
        expect(argv).toContain(
          '--permissions=cloudsql.instances.list,cloudsql.instances.get,cloudsql.backupRuns.list',
        );
      }
    }
  });

  it('removes the roles/cloudsql.viewer binding of earlier versions, tolerating its absence, when deploying', () => {
    // Act
    const removals = plan().filter(
      (step): step is Extract<GcpStep, { kind: 'run' }> =>
        step.kind === 'run' && step.argv.includes(`--role=${LEGACY_CLOUD_SQL_VIEWER_ROLE}`),
    );

    // Assess
    expect(removals.map((step) => [step.argv[2], step.argv[3], step.ifNotFound])).toEqual([
      ['remove-iam-policy-binding', 'certctl-prod-1', 'skip'],
      ['remove-iam-policy-binding', 'certctl-stage-2', 'skip'],
    ]);
  });

  it('records the audited projects on the function, revokes recorded projects the policy dropped before the deploy that rewrites the record, and grants after it', () => {
    // Act
    const steps = plan();
    const envFile = steps.find((s) => s.kind === 'write-file' && s.path.endsWith('/env.yaml'));
    const environment = parseYaml(envFile?.kind === 'write-file' ? envFile.content : '') as Record<
      string,
      string
    >;
    const readAt = steps.findIndex((s) => s.kind === 'run' && s.capture === RECORDED_PROJECTS);
    const firstBindAt = steps.findIndex(
      (s) => s.kind === 'run' && s.argv[2] === 'add-iam-policy-binding' && s.argv[3] === 'certctl-prod-1',
    );
    const revokeAt = steps.findIndex((s) => s.kind === 'for-each-project');
    const deployAt = steps.findIndex((s) => s.kind === 'run' && s.argv[2] === 'deploy');
    const revoke = steps[revokeAt];

    // Assess
    expect(environment[BOUND_PROJECTS_ENV]).toBe('certctl-prod-1,certctl-stage-2');
    expect(steps[readAt]).toMatchObject({
      ifNotFound: 'skip',
      argv: expect.arrayContaining([
        `--format=value(serviceConfig.environmentVariables.${BOUND_PROJECTS_ENV})`,
      ]),
    });
    expect(readAt).toBeLessThan(revokeAt);
    expect(revokeAt).toBeLessThan(deployAt);
    expect(steps[deployAt]).toMatchObject({ argv: expect.arrayContaining(['certctl-audit-pitr']) });
    // A grant made before the record is rewritten would be in no record if the run stopped there.
    expect(deployAt).toBeLessThan(firstBindAt);
    expect(revoke).toMatchObject({
      list: RECORDED_PROJECTS,
      skip: ['certctl-prod-1', 'certctl-stage-2'],
      ifNotFound: 'skip',
      argv: expect.arrayContaining([
        'remove-iam-policy-binding',
        `--role=${cloudSqlReaderRole(placeholder('AUDITED_PROJECT'))}`,
      ]),
    });
  });

  it('fails naming gcp.federation when the policy publishes to Security Hub without it', () => {
    // Prepare
    const { federation: _federation, ...gcp } = POLICY_INPUT.gcp;
    const policy = parsePolicy({ ...POLICY_INPUT, gcp });

    // Act / Assess
    expect(() => plan(policy)).toThrow(PolicyError);
    expect(() => plan(policy)).toThrow(/gcp\.federation: is required when securityHub\.enabled is true/);
    expect(() => plan(parsePolicy({ ...POLICY_INPUT, gcp, securityHub: { enabled: false } }))).not.toThrow();
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

  it('has every scheduler job retry a failed run (HTTP 5xx) a bounded number of times, with backoff', () => {
    // Act: the audits' jobs, and the snapshot scan's when the function ends within the attempt deadline.
    const jobs = plan(parsePolicy({ ...POLICY_INPUT, snapshots: { waitMinutes: 20 } })).filter(
      (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
        step.kind === 'ensure' && step.probe[1] === 'scheduler',
    );

    // Assess: Cloud Scheduler's retryCount defaults to 0 (no retry until the next scheduled time),
    // so the 500 an audit answers for a scope not evaluated would be retried by nobody.
    expect(jobs.map((job) => job.probe[4])).toEqual([
      'certctl-audit-pitr-schedule',
      'certctl-snapshot-schedule',
    ]);
    for (const job of jobs) {
      for (const argv of [job.create, job.update ?? []]) {
        expect(argv).toEqual(
          expect.arrayContaining(['--max-retry-attempts=3', '--min-backoff=60s', '--max-backoff=600s']),
        );
      }
    }
  });

  it('does not retry the snapshot scan when the function may outlive the 30-minute attempt deadline', () => {
    // Prepare: a wait of 40 minutes, so the function runs up to 45 minutes.
    const policy = parsePolicy({ ...POLICY_INPUT, snapshots: { waitMinutes: 40 } });

    // Act
    const job = plan(policy).find(
      (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
        step.kind === 'ensure' && step.probe.includes('certctl-snapshot-schedule'),
    );

    // Assess: a run still waiting at the deadline would otherwise be started again beside itself.
    expect(job?.create).toEqual(
      expect.arrayContaining(['--attempt-deadline=1800s', '--max-retry-attempts=0']),
    );
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
    const envFile = plan().find((s) => s.kind === 'write-file' && s.path === `${STAGE}/env.yaml`);

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
    const bundle = commandStartingWith(
      steps,
      'node',
      CLOUD_FUNCTION_BUNDLER,
      'functions/handlers/gcp/audit-pitr.ts',
    );
    const manifest = steps.find((s) => s.kind === 'write-file' && s.path.endsWith('source/package.json'));

    // Assess: the bundler keeps the framework external (test/infra/bundling.test.ts).
    expect(bundle).toEqual([
      'node',
      CLOUD_FUNCTION_BUNDLER,
      'functions/handlers/gcp/audit-pitr.ts',
      `${STAGE}/source`,
    ]);
    const packageJson = JSON.parse(manifest?.kind === 'write-file' ? manifest.content : '{}');
    expect(packageJson).toMatchObject({ type: 'module', main: 'index.mjs' });
    expect(Object.keys(packageJson.dependencies)).toEqual(['@google-cloud/functions-framework']);
  });

  it('ships a lockfile with the tested Functions Framework and its whole dependency tree, nothing else', () => {
    // Prepare
    const framework = REPOSITORY_LOCKFILE.packages['node_modules/@google-cloud/functions-framework'];

    // Act
    const steps = plan();
    const lockStep = steps.find(
      (s) => s.kind === 'write-file' && s.path === `${STAGE}/source/package-lock.json`,
    );
    const lock = JSON.parse(
      lockStep?.kind === 'write-file' ? lockStep.content : '{}',
    ) as typeof REPOSITORY_LOCKFILE;
    const manifest = JSON.parse(DEPLOYED_PACKAGE.packageJson) as { dependencies: Record<string, string> };

    // Assess: exact versions, every dependency resolvable inside the lockfile, no dev tooling.
    expect(manifest.dependencies['@google-cloud/functions-framework']).toBe(framework?.version);
    expect(lock.packages['']).toMatchObject({ dependencies: manifest.dependencies });
    expect(lock.packages['node_modules/@google-cloud/functions-framework']).toEqual(framework);
    expect(lock.packages['node_modules/express']?.version).toBe(
      REPOSITORY_LOCKFILE.packages['node_modules/express']?.version,
    );
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '') continue;
      for (const name of Object.keys(entry.dependencies ?? {})) {
        // Node's lookup: <dir>/node_modules/<name>, then each enclosing node_modules up to the root.
        const parts = path.split('/node_modules/');
        const candidates = parts.map(
          (_, i) => `${parts.slice(0, parts.length - i).join('/node_modules/')}/node_modules/${name}`,
        );
        candidates.push(`node_modules/${name}`);
        expect(
          candidates.some((candidate) => lock.packages[candidate]),
          `${path} -> ${name}`,
        ).toBe(true);
      }
    }
    expect(
      Object.keys(lock.packages).filter((path) => /node_modules\/(vitest|aws-cdk-lib|esbuild)$/.test(path)),
    ).toEqual([]);
  });

  it('fails naming gcp.projects when the policy lists no project to audit', () => {
    // Act / Assess
    expect(() => plan(parsePolicy({}))).toThrow(PolicyError);
    expect(() => plan(parsePolicy({}))).toThrow(/gcp\.projects: lists no project to audit/);
  });

  it('fails naming --time-zone, before any step, when it is not a time zone Cloud Scheduler knows', () => {
    // Act / Assess: a typo, an offset (Cloud Scheduler takes tz database names only), shell text.
    for (const timeZone of ['Europe/Pariss', '+01:00', 'UTC; rm -rf /', '']) {
      expect(() => plan(POLICY, timeZone)).toThrow(/--time-zone: .* is not a time zone name/);
    }
    // Names of the tz database stay accepted.
    for (const timeZone of [
      'Etc/UTC',
      'UTC',
      'Europe/Paris',
      'America/Argentina/Buenos_Aires',
      'America/Port-au-Prince',
    ]) {
      expect(() => plan(POLICY, timeZone)).not.toThrow();
    }
  });

  it('fails naming schedules.auditPitr when the rate has no unix-cron form', () => {
    // Prepare
    const policy = parsePolicy({ ...POLICY_INPUT, schedules: { auditPitr: 'rate(45 minutes)' } });

    // Act / Assess
    expect(() => plan(policy)).toThrow(/schedules\.auditPitr: .*no Cloud Scheduler equivalent/);
  });
});

describe('planGcpTeardown', () => {
  it('revokes recorded and policy bindings before deleting the function, and skips only what is gone', () => {
    // Act
    const steps = teardown();

    // Assess
    const recordedProjects = `for each ${RECORDED_PROJECTS} except certctl-prod-1,certctl-stage-2: gcloud projects remove-iam-policy-binding ${placeholder('AUDITED_PROJECT')}`;
    // The policy lists no dump bucket and no secret: every recorded one is removed.
    const recordedDumpBuckets = [
      `for each ${RECORDED_DUMP_BUCKETS} resource except : gcloud storage buckets remove-iam-policy-binding`,
      `for each ${RECORDED_DUMP_BUCKETS} project except : gcloud projects remove-iam-policy-binding ${placeholder('RESOURCE_PROJECT')}`,
    ];
    const recordedSecrets = [
      `for each ${RECORDED_SECRETS} resource except : gcloud secrets remove-iam-policy-binding projects/${placeholder('RESOURCE_PROJECT')}/secrets/${placeholder('RESOURCE_NAME')}`,
      `for each ${RECORDED_SECRETS} project except : gcloud projects remove-iam-policy-binding ${placeholder('RESOURCE_PROJECT')}`,
    ];
    expect(
      steps.map((step) =>
        step.kind === 'for-each-project'
          ? `for each ${step.list} except ${step.skip.join(',')}: ${step.argv.slice(0, 4).join(' ')}`
          : step.kind === 'for-each-recorded'
            ? `for each ${step.list} ${step.per} except ${step.skip.join(',')}: ${step.argv.slice(0, 4).join(' ')}`
            : step.kind === 'run'
              ? step.argv.slice(0, 4).join(' ') + (step.argv.find((a) => a.startsWith('--role=')) ?? '')
              : step.kind === 'note'
                ? `note if no ${step.ifEmpty}`
                : step.kind,
      ),
    ).toEqual([
      // What the last deployment recorded, read before anything is removed.
      'gcloud functions describe certctl-audit-pitr',
      'gcloud functions describe certctl-audit-pitr',
      'gcloud functions describe certctl-audit-pitr',
      'gcloud scheduler jobs delete',
      recordedProjects,
      `gcloud projects remove-iam-policy-binding certctl-prod-1--role=${cloudSqlReaderRole('certctl-prod-1')}`,
      `gcloud projects remove-iam-policy-binding certctl-prod-1--role=${LEGACY_CLOUD_SQL_VIEWER_ROLE}`,
      `gcloud projects remove-iam-policy-binding certctl-stage-2--role=${cloudSqlReaderRole('certctl-stage-2')}`,
      `gcloud projects remove-iam-policy-binding certctl-stage-2--role=${LEGACY_CLOUD_SQL_VIEWER_ROLE}`,
      // The dumps and keys functions too, whether or not the policy still configures them.
      'gcloud scheduler jobs delete',
      'gcloud functions delete certctl-audit-dumps',
      ...recordedDumpBuckets,
      'gcloud scheduler jobs delete',
      'gcloud functions delete certctl-audit-keys',
      ...recordedSecrets,
      // The snapshot function with its maintenance scan's schedule and its Cloud SQL access.
      'gcloud scheduler jobs delete',
      'gcloud functions delete certctl-snapshot',
      recordedProjects,
      `gcloud projects remove-iam-policy-binding certctl-prod-1--role=projects/certctl-prod-1/roles/${CLOUD_SQL_SNAPSHOT_ROLE_ID}`,
      `gcloud projects remove-iam-policy-binding certctl-stage-2--role=projects/certctl-stage-2/roles/${CLOUD_SQL_SNAPSHOT_ROLE_ID}`,
      ...recordedDumpBuckets,
      ...recordedSecrets,
      // Its request records' binding on the records bucket, as chat-action's below.
      `gcloud storage buckets remove-iam-policy-binding--role=projects/certctl-ops/roles/${CHAT_RECORDS_ROLE_ID}`,
      // And the chat functions (no schedule), with the chat action's Cloud SQL access.
      // chat-slack's bindings on the signing secret and the chat topic.
      'gcloud functions delete certctl-chat-slack',
      `gcloud secrets remove-iam-policy-binding ${CHAT_SECRET_ID}--role=roles/secretmanager.secretAccessor`,
      'gcloud pubsub topics remove-iam-policy-binding--role=roles/pubsub.publisher',
      'gcloud functions delete certctl-chat-action',
      recordedProjects,
      `gcloud projects remove-iam-policy-binding certctl-prod-1--role=projects/certctl-prod-1/roles/${CHAT_ACTION_ROLE_ID}`,
      `gcloud projects remove-iam-policy-binding certctl-stage-2--role=projects/certctl-stage-2/roles/${CHAT_ACTION_ROLE_ID}`,
      ...recordedDumpBuckets,
      ...recordedSecrets,
      `gcloud storage buckets remove-iam-policy-binding--role=projects/certctl-ops/roles/${CHAT_RECORDS_ROLE_ID}`,
      // The function holding the records, last: a tear-down run again after a failure still reads them.
      'gcloud functions delete certctl-audit-pitr',
      `gcloud projects remove-iam-policy-binding certctl-ops--role=${RUN_BUILDER_ROLE}`,
      'gcloud iam service-accounts delete',
      'gcloud iam service-accounts delete',
      'gcloud iam service-accounts delete',
      'gcloud iam service-accounts delete',
      'gcloud iam service-accounts delete',
      'gcloud iam service-accounts delete',
      'gcloud iam service-accounts delete',
      'gcloud iam service-accounts delete',
      `note if no ${RECORDED_PROJECTS}`,
      `note if no ${RECORDED_DUMP_BUCKETS}`,
      `note if no ${RECORDED_SECRETS}`,
    ]);
    expect(
      steps.every((step) => step.kind === 'note' || ('ifNotFound' in step && step.ifNotFound === 'skip')),
    ).toBe(true);
    expect(steps.some((step) => 'allowFailure' in step)).toBe(false);
  });

  it('writes every file at a fixed name inside the staging directory, whatever the user gives', () => {
    // Prepare: every function configured and a function name of the user's. runSteps creates the
    // parents of these paths with a recursive mkdir, safe only because no user path reaches it: the
    // staging directory is a fresh mkdtemp (the CLI's --output-dir, by contrast, is the user's:
    // functions/cli/output.ts prepareOutputDir).
    const policy = parsePolicy({
      ...POLICY_INPUT,
      chatops: { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } },
      dumps: {
        locations: [{ provider: 'gcp', bucket: 'certctl-dumps-a', project: 'certctl-prod-1', region: 'EU' }],
      },
    });

    // Act
    const written = planGcpDeployment({
      project: 'certctl-ops',
      region: 'europe-west1',
      policy,
      deployedPackage: DEPLOYED_PACKAGE,
      functionName: 'guard',
    }).flatMap((step) => (step.kind === 'write-file' ? [step.path] : []));

    // Assess: at most one fixed directory (a function's source) below the staging directory.
    expect(written.length).toBeGreaterThan(3);
    for (const path of written) {
      expect(path).toMatch(/^\$\{[A-Z_]+\}\/(?:source(?:-[a-z]+(?:-[a-z]+)*)?\/)?[a-z-]+\.(?:json|yaml)$/);
      expect(path.startsWith(`${STAGE}/`)).toBe(true);
    }
  });

  it('removes every Cloud Storage bucket binding the deployment adds (the request records bucket, the dump buckets)', () => {
    // Prepare: chat on and a GCS dump location, so every bucket binding the deployment makes is planned.
    const policy = parsePolicy({
      ...POLICY_INPUT,
      chatops: { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } },
      dumps: {
        locations: [{ provider: 'gcp', bucket: 'certctl-dumps-a', project: 'certctl-prod-1', region: 'EU' }],
      },
    });
    const bucketBindings = (steps: readonly GcpStep[], verb: string) =>
      commands(steps)
        .filter((argv) => argv.slice(0, 4).join(' ') === `gcloud storage buckets ${verb}`)
        .map((argv) =>
          [
            argv[4],
            argv.find((a) => a.startsWith('--member=')),
            argv.find((a) => a.startsWith('--role=')),
          ].join(' '),
        )
        .sort();

    // Act
    const added = bucketBindings(plan(policy), 'add-iam-policy-binding');
    const removed = bucketBindings(teardown(policy), 'remove-iam-policy-binding');

    // Assess: the records bucket's bindings (the snapshot function's, chat-action's) among them.
    expect(
      added.filter((binding) => binding.startsWith(`gs://${chatRecordsBucket('certctl-ops')} `)),
    ).toHaveLength(2);
    expect(removed).toEqual(added);
  });

  it('removes chat-slack’s bindings on the signing secret and the chat topic, nothing there being fine', () => {
    // Prepare: chat on, so the deployment binds chat-slack on the secret and the topic.
    const policy = parsePolicy({
      ...POLICY_INPUT,
      chatops: { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } },
    });
    const resourceBindings = (steps: readonly GcpStep[], verb: string) =>
      steps
        .filter((step): step is Extract<GcpStep, { kind: 'run' }> => step.kind === 'run')
        .filter(
          (step) =>
            step.argv.slice(0, 3).join(' ') === `gcloud secrets ${verb}` ||
            step.argv.slice(0, 4).join(' ') === `gcloud pubsub topics ${verb}`,
        )
        .map((step) => ({
          binding: [
            step.argv[1] === 'secrets' ? step.argv[3] : step.argv[4],
            step.argv.find((a) => a.startsWith('--member=')),
            step.argv.find((a) => a.startsWith('--role=')),
          ].join(' '),
          step,
        }));

    // Act
    const added = resourceBindings(plan(policy), 'add-iam-policy-binding');
    const removed = resourceBindings(teardown(policy), 'remove-iam-policy-binding');

    // Assess: each removed, a resource or API that is not there (chat never deployed) skipped.
    expect(added.some(({ binding }) => binding.includes('roles/pubsub.publisher'))).toBe(true);
    expect(removed.map(({ binding }) => binding).sort()).toEqual(added.map(({ binding }) => binding).sort());
    for (const { step } of removed) expect([step.ifNotFound, step.ifApiDisabled]).toEqual(['skip', 'skip']);
  });

  it('goes on when gcloud says the API of a chat resource was never enabled in the project', () => {
    // Prepare: Secret Manager and Pub/Sub were never enabled (chat never deployed).
    const dir = scratch();
    const bin = fakeGcloud(dir, { disabled: 'remove-iam-policy-binding certctl-backup-guard-' });
    const lines: string[] = [];

    // Act
    withPath(bin, () => runSteps(teardown(), { log: (line) => lines.push(line), stagingParent: dir }));

    // Assess: the tear-down ran to its end, saying why those removals had nothing to remove.
    expect(
      calls(dir).filter((call) => call.includes('remove-iam-policy-binding certctl-backup-guard-')),
    ).not.toHaveLength(0);
    expect(lines.join('\n')).toContain('API not enabled, nothing to remove:');
    expect(calls(dir).some((call) => call.startsWith('iam service-accounts delete'))).toBe(true);
  });

  it('stops with its message when the API of a resource that must be there is not enabled', () => {
    // Prepare
    const dir = scratch();
    const bin = fakeGcloud(dir, { disabled: 'functions delete certctl-audit-pitr' });

    // Act
    const act = () => withPath(bin, () => runSteps(teardown(), { log: () => {}, stagingParent: dir }));

    // Assess
    expect(act).toThrow(/"delete the function" failed/);
  });

  it('removes every recorded binding when the policy lists no project (--destroy without --policy)', () => {
    // Prepare: the fake gcloud reports what the last deployment recorded on the function.
    const dir = scratch();
    const bin = fakeGcloud(dir, { recorded: 'certctl-prod-1,certctl-old-3' });

    // Act
    withPath(bin, () => runSteps(teardown(parsePolicy({})), { log: () => {}, stagingParent: dir }));

    // Assess
    const revoked = calls(dir).filter((call) => call.startsWith('projects remove-iam-policy-binding'));
    // Each recorded project loses the PITR reader, the snapshot function's and chat-action's backup roles.
    expect(revoked.map((call) => call.split(' ')[2])).toEqual([
      'certctl-prod-1',
      'certctl-old-3',
      'certctl-prod-1',
      'certctl-old-3',
      'certctl-prod-1',
      'certctl-old-3',
      'certctl-ops',
    ]);
    expect(revoked[1]).toContain(`--role=${cloudSqlReaderRole('certctl-old-3')}`);
    expect(revoked[3]).toContain(`--role=projects/certctl-old-3/roles/${CLOUD_SQL_SNAPSHOT_ROLE_ID}`);
    expect(revoked[5]).toContain(`--role=projects/certctl-old-3/roles/${CHAT_ACTION_ROLE_ID}`);
  });

  it('goes on when gcloud says a binding is not found and stops with its message on any other error', () => {
    // Prepare
    const dir = scratch();
    const bin = fakeGcloud(dir, {
      recorded: 'certctl-old-3',
      notFound: 'certctl-old-3',
      denied: 'functions delete certctl-audit-pitr',
    });
    const lines: string[] = [];

    // Act
    const act = () =>
      withPath(bin, () => runSteps(teardown(), { log: (line) => lines.push(line), stagingParent: dir }));

    // Assess: the not-found revocation is skipped, the denied delete stops everything after it.
    expect(act).toThrow(GcpDeployError);
    expect(act).toThrow(/"delete the function" failed/);
    expect(lines.join('\n')).toContain(
      'already gone: ERROR: Policy binding with the specified principal, role, and condition not found!',
    );
    expect(calls(dir).some((call) => call.startsWith('iam service-accounts delete'))).toBe(false);
  });
});

describe('runSteps', () => {
  it('writes into a private 0700 directory it removes afterwards, also when a step fails', () => {
    // Prepare: a step that reports the modes of the staging directory and the env file, then a failing step.
    const dir = scratch();
    const parent = join(dir, 'tmp');
    mkdirSync(parent);
    const modes = join(dir, 'modes.txt');
    const steps: GcpStep[] = [
      { kind: 'write-file', description: 'env', path: `${STAGE}/env.yaml`, content: 'A: b\n' },
      {
        kind: 'run',
        description: 'stat',
        argv: ['sh', '-c', 'stat -c %a "$0" "$0/env.yaml" > "$1"', STAGE, modes],
      },
      { kind: 'run', description: 'fail', argv: ['sh', '-c', 'exit 3'] },
    ];

    // Act
    const act = () => runSteps(steps, { log: () => {}, stagingParent: parent });

    // Assess
    expect(act).toThrow(/"fail" failed \(exit 3\)/);
    expect(readFileSync(modes, 'utf8').split('\n').slice(0, 2)).toEqual(['700', '600']);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('never writes through an env.yaml symlink planted where the old fixed staging path was', () => {
    // Prepare: the attack the fixed <tmp>/certctl-backup-guard-gcp path allowed.
    const dir = scratch();
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'untouched');
    mkdirSync(join(dir, 'certctl-backup-guard-gcp'));
    symlinkSync(victim, join(dir, 'certctl-backup-guard-gcp', 'env.yaml'));
    const steps = plan().filter((step) => step.kind === 'write-file');

    // Act
    runSteps(steps, { log: () => {}, stagingParent: dir });

    // Assess
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(readdirSync(dir).sort()).toEqual(['certctl-backup-guard-gcp', 'victim.txt']);
  });

  it("revokes exactly the recorded projects the policy dropped when deploying, the snapshot function's backup role there too", () => {
    // Prepare
    const dir = scratch();
    const bin = fakeGcloud(dir, { recorded: 'certctl-prod-1,certctl-old-3,certctl-stage-2' });
    const revocations = plan().filter((step) => step.kind === 'for-each-project');

    // Act
    withPath(bin, () =>
      runSteps(
        [
          {
            kind: 'run',
            description: 'read',
            argv: ['gcloud', BOUND_PROJECTS_ENV],
            capture: RECORDED_PROJECTS,
          },
          ...revocations,
        ],
        { log: () => {}, stagingParent: dir },
      ),
    );

    // Assess: the snapshot function's and chat-action's roles create backups (chat-action's is removed
    // with the function this policy no longer configures); neither outlives the project's place in the policy.
    expect(calls(dir).slice(1)).toEqual([
      `projects remove-iam-policy-binding certctl-old-3 --member=serviceAccount:${RUNTIME_SA} --role=${cloudSqlReaderRole('certctl-old-3')} --condition=None --quiet`,
      `projects remove-iam-policy-binding certctl-old-3 --member=serviceAccount:${SNAPSHOT_SA} --role=projects/certctl-old-3/roles/${CLOUD_SQL_SNAPSHOT_ROLE_ID} --condition=None --quiet`,
      `projects remove-iam-policy-binding certctl-old-3 --member=serviceAccount:certctl-chat-action@certctl-ops.iam.gserviceaccount.com --role=projects/certctl-old-3/roles/${CHAT_ACTION_ROLE_ID} --condition=None --quiet`,
    ]);
  });

  it('refuses a recorded value that is not a project id', () => {
    // Prepare
    const dir = scratch();
    const bin = fakeGcloud(dir, { recorded: 'certctl-prod-1,--impersonate-service-account=x' });

    // Act / Assess
    expect(() => withPath(bin, () => runSteps(teardown(), { log: () => {}, stagingParent: dir }))).toThrow(
      /"--impersonate-service-account=x" is not a GCP project id/,
    );
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
    expect(spawnSync('bash', ['-n'], { input: renderShellScript(teardown()) }).status).toBe(0);
  });

  it('runs a printed deployment to its end, its "already gone is fine" commands under noclobber too', () => {
    // Prepare: the function exists with its records; every command succeeds.
    const dir = scratch();
    const bin = fakeGcloud(dir, {
      recorded: 'certctl-prod-1,certctl-stage-2',
      recordedBuckets: 'none',
      recordedSecrets: 'none',
    });
    // Without the bundling, which runs node on this repository (not what is tested here).
    const steps = plan().filter((step) => !(step.kind === 'run' && step.argv[0] === 'node'));

    // Act: on stdin, since with the deployed lockfile the script is longer than one argument may be.
    const result = spawnSync('bash', ['-s'], {
      input: renderShellScript(steps),
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });

    // Assess: before, each if_found command's stderr file (made by mktemp) could not be written
    // under noclobber, and the script stopped at the first of them, the read of the records.
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(calls(dir).filter((call) => call.startsWith('functions deploy'))).toHaveLength(
      steps.filter((step) => step.kind === 'run' && step.argv[2] === 'deploy').length,
    );
  });

  it('stages files in a private mktemp directory, without overwriting, removed on exit', () => {
    // Act
    const script = renderShellScript(plan());

    // Assess
    expect(script).toContain('STAGING_DIR="$(mktemp -d)"');
    expect(script).toContain(`trap 'rm -rf "${STAGE}"' EXIT`);
    expect(script.indexOf('set -o noclobber')).toBeLessThan(script.indexOf('cat > '));
    expect(script).toContain(`cat > "${STAGE}/env.yaml" <<'BACKUP_GUARD_EOF'`);
    expect(script).not.toContain('/tmp/');
  });

  it('runs a printed tear-down that goes on where the chat resources’ APIs were never enabled, and only there', () => {
    // Prepare: Secret Manager and Pub/Sub never enabled; then the same answer for a function delete.
    const run = (disabled: string) => {
      const dir = scratch();
      const bin = fakeGcloud(dir, { disabled });
      return spawnSync('bash', ['-c', renderShellScript(teardown())], {
        env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
        encoding: 'utf8',
      });
    };

    // Act
    const chatNeverDeployed = run('remove-iam-policy-binding certctl-backup-guard-');
    const functionsDisabled = run('functions delete certctl-audit-pitr');

    // Assess
    expect(chatNeverDeployed.status).toBe(0);
    expect(chatNeverDeployed.stderr).toContain(
      `API not enabled, nothing to remove: gcloud secrets remove-iam-policy-binding ${CHAT_SECRET_ID}`,
    );
    expect(functionsDisabled.status).not.toBe(0);
  });

  it('runs a printed tear-down that skips what is gone, revokes recorded projects and stops on other errors', () => {
    // Prepare
    const dir = scratch();
    const bin = fakeGcloud(dir, { recorded: 'certctl-old-3,certctl-prod-1', notFound: 'certctl-old-3' });
    const script = renderShellScript(teardown());
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };

    // Act
    const passing = spawnSync('bash', ['-c', script], { env, encoding: 'utf8' });
    const deniedDir = scratch();
    const denied = spawnSync('bash', ['-c', renderShellScript(teardown())], {
      env: {
        ...process.env,
        PATH: `${fakeGcloud(deniedDir, { denied: 'scheduler jobs delete' })}:${process.env.PATH ?? ''}`,
      },
      encoding: 'utf8',
    });

    // Assess
    expect(passing.status).toBe(0);
    expect(passing.stderr).toContain('already gone: gcloud projects remove-iam-policy-binding certctl-old-3');
    const revoked = calls(dir).filter((call) => call.startsWith('projects remove-iam-policy-binding'));
    expect(revoked.map((call) => call.split(' ')[2])).toEqual([
      'certctl-old-3',
      'certctl-prod-1',
      'certctl-prod-1',
      'certctl-stage-2',
      'certctl-stage-2',
      // the snapshot function's and the chat action's access, in the recorded projects the policy
      // dropped, then in the policy's
      'certctl-old-3',
      'certctl-prod-1',
      'certctl-stage-2',
      'certctl-old-3',
      'certctl-prod-1',
      'certctl-stage-2',
      'certctl-ops',
    ]);
    expect(denied.status).not.toBe(0);
    expect(denied.stderr).toContain('PERMISSION_DENIED');
    expect(calls(deniedDir).at(-1)).toMatch(/^scheduler jobs delete/);
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
    const { federation: _federation, ...gcp } = POLICY_INPUT.gcp;
    writeFileSync(join(workDir, 'no-federation.json'), JSON.stringify({ ...POLICY_INPUT, gcp }));
  });
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  function run(...args: string[]) {
    return spawnSync(process.execPath, ['infra/gcp/deploy.ts', ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
  }

  it('prints the deployment as a script and runs nothing with --dry-run', () => {
    // Act
    const result = run(
      '--project=certctl-ops',
      '--region=europe-west1',
      `--policy=${join(workDir, 'policy.json')}`,
      '--dry-run',
    );

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^#!\/usr\/bin\/env bash\n/);
    expect(result.stdout).toContain('gcloud functions deploy certctl-audit-pitr --gen2');
    expect(result.stdout).toContain('gcloud scheduler jobs create http certctl-audit-pitr-schedule');
    expect(readdirSync(tmpdir()).filter((name) => name === 'certctl-backup-guard-gcp')).toEqual([]);
  });

  it('prints usage naming the npm script and exits 0 with --help', () => {
    // Act
    const result = run('--help');

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: npm run deploy:gcp -- --project <id> --region <region>');
    expect(result.stdout).toContain('--dry-run');
  });

  it('exits 2 naming the field when the policy cannot be deployed to GCP', () => {
    // Act: the cdk.json policy lists no GCP project.
    const result = run('--project=certctl-ops', '--region=europe-west1', '--dry-run');

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('gcp.projects: lists no project to audit');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 naming gcp.federation when the policy publishes without it, even with --dry-run', () => {
    // Act
    const result = run(
      '--project=certctl-ops',
      '--region=europe-west1',
      `--policy=${join(workDir, 'no-federation.json')}`,
      '--dry-run',
    );

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('gcp.federation: is required when securityHub.enabled is true');
    expect(result.stdout).toBe('');
  });

  it.each([
    [['--project=Certctl_Ops', '--region=europe-west1'], '--project "Certctl_Ops" is not a GCP project id'],
    [['--project=certctl-ops', '--region=europe west1'], '--region "europe west1" is not a GCP region'],
    [['--project=certctl-ops', '--region=eu-west-1'], '--region "eu-west-1" is not a GCP region'],
    [
      ['--project=certctl-ops', '--region=europe-wst1'],
      '--region "europe-wst1" is not a GCP region such as europe-west1 or us-central1; did you mean europe-west1?',
    ],
    [['--project=certctl-ops', '--region=us-middle1'], '--region "us-middle1" is not a GCP region'],
    [['--region=europe-west1'], 'deploy: --project is required\n'],
    [['--project=certctl-ops'], 'deploy: --region is required\n'],
    [
      ['--project=certctl-ops', '--region=europe-west1', '--staging-dir=/tmp/x'],
      "Unknown option '--staging-dir'",
    ],
  ])('exits 2 with the reason when the arguments are %j', (args, message) => {
    // Act
    const result = run(...args, `--policy=${join(workDir, 'policy.json')}`, '--dry-run');

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints a tear-down that reads the bound projects from the function when --destroy has no --policy', () => {
    // Act
    const result = run('--project=certctl-ops', '--region=europe-west1', '--destroy', '--dry-run');

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      `${RECORDED_PROJECTS}="$(if_found gcloud functions describe certctl-audit-pitr --gen2 --project=certctl-ops --region=europe-west1 '--format=value(serviceConfig.environmentVariables.${BOUND_PROJECTS_ENV})')"`,
    );
    expect(result.stdout).toContain(`for AUDITED_PROJECT in $(tr ',' ' ' <<<"\${${RECORDED_PROJECTS}}"); do`);
    expect(result.stdout).not.toContain('|| true');
  });

  it('rejects bad arguments as input errors', () => {
    // Act / Assess
    expect(() => parseDeployArguments(['--region=europe-west1'])).toThrow(InputError);
    expect(() => parseDeployArguments(['--project=p', '--regoin=x'])).toThrow(/Unknown option '--regoin'/);
    expect(parseDeployArguments(['--help'])).toBeUndefined();
  });

  it('says which Node it needs and how to run it when the Node is older than 24', () => {
    // Act
    const message = unsupportedNodeMessage('22.18.0');

    // Assess
    expect(message).toContain('needs Node 24 or later');
    expect(message).toContain('this is Node 22.18.0');
    expect(message).toContain('npm run deploy:gcp -- --project <id> --region <region>');
    expect(message).toContain('npx node infra/gcp/deploy.ts');
    expect(unsupportedNodeMessage('24.0.0')).toBeUndefined();
    expect(unsupportedNodeMessage(process.versions.node)).toBeUndefined();
  });

  it('runs through the deploy:gcp npm script with the pinned Node', () => {
    // Prepare
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };

    // Act
    const result = spawnSync('npm', ['run', '--silent', 'deploy:gcp', '--', '--help'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });

    // Assess
    expect(manifest.scripts['deploy:gcp']).toBe('node infra/gcp/deploy.ts');
    expect(manifest.devDependencies.node?.startsWith('24.')).toBe(true);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: npm run deploy:gcp');
  });
});

describe('docs/deploy.md', () => {
  it('names the function, its entry point and every environment variable the deployment sets', () => {
    // Prepare
    const docs = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    const envFile = plan().find((s) => s.kind === 'write-file' && s.path.endsWith('/env.yaml'));
    const variables = Object.keys(parseYaml(envFile?.kind === 'write-file' ? envFile.content : '') as object);

    // Assess
    expect(variables).toEqual([
      POLICY_ENV,
      BOUND_PROJECTS_ENV,
      BOUND_DUMP_BUCKETS_ENV,
      BOUND_SECRETS_ENV,
      CHAT_RECORDS_BUCKET_ENV,
    ]);
    expect(docs).toContain(`\`${DEFAULT_FUNCTION_NAME}\``);
    expect(docs).toContain(`\`--entry-point=${GCP_ENTRY_POINT}\``);
    for (const variable of variables) expect(docs).toContain(`\`${variable}\``);
    expect(docs).toContain('npm run deploy:gcp');
    expect(docs).not.toMatch(/^node infra\/gcp\/deploy\.ts/m);
  });

  it('names every function the deployment makes, with its entry point, here and in --help', () => {
    // Prepare
    const docs = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8').replace(/\s+/g, ' ');

    // Assess
    expect(GCP_FUNCTIONS.map((fn) => fn.job)).toEqual(expect.arrayContaining(['audit-keys', 'snapshot']));
    for (const fn of GCP_FUNCTIONS) {
      expect(docs).toContain(`\`certctl-${fn.job}\``);
      expect([`--entry-point=${fn.entryPoint}\``, `entry point \`${fn.entryPoint}\``]).toContainEqual(
        expect.toSatisfy((text: string) => docs.includes(text)),
      );
      expect(USAGE.replace(/\s+/g, ' ')).toContain(`${fn.job} (entry point ${fn.entryPoint}`);
    }
  });
});

describe('planGcpDeployment with Cloud Storage dump locations', () => {
  const DUMPS_SA = `${DUMPS_SERVICE_ACCOUNT_ID}@certctl-ops.iam.gserviceaccount.com`;
  const withDumps = parsePolicy({
    ...POLICY_INPUT,
    dumps: {
      locations: [
        {
          provider: 'gcp',
          bucket: 'certctl-dumps-a',
          prefix: 'prod/',
          project: 'certctl-prod-1',
          region: 'EU',
        },
        {
          provider: 'gcp',
          bucket: 'certctl-dumps-a',
          prefix: 'stage/',
          project: 'certctl-prod-1',
          region: 'EU',
        },
        { provider: 'gcp', bucket: 'certctl-dumps-b', project: 'certctl-stage-2', region: 'europe-west1' },
      ],
    },
  });

  it('binds the dumps account’s storage reader role on each dump bucket only, never on a project', () => {
    // Act
    const storageBindings = commands(plan(withDumps)).filter(
      (argv) =>
        argv.some((argument) => argument === `--member=serviceAccount:${DUMPS_SA}`) &&
        !argv.some((argument) => argument.endsWith(`/roles/${DUMP_KEY_READER_ROLE_ID}`)),
    );
    // Assess
    expect(storageBindings).toEqual([
      [
        'gcloud',
        'storage',
        'buckets',
        'add-iam-policy-binding',
        'gs://certctl-dumps-a',
        `--member=serviceAccount:${DUMPS_SA}`,
        `--role=projects/certctl-prod-1/roles/${DUMP_READER_ROLE_ID}`,
        '--condition=None',
      ],
      [
        'gcloud',
        'storage',
        'buckets',
        'add-iam-policy-binding',
        'gs://certctl-dumps-b',
        `--member=serviceAccount:${DUMPS_SA}`,
        `--role=projects/certctl-stage-2/roles/${DUMP_READER_ROLE_ID}`,
        '--condition=None',
      ],
    ]);
  });

  it('defines the dump reader role in each holding project with exactly the three storage reads', () => {
    // Act
    const roles = plan(withDumps).filter(
      (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
        step.kind === 'ensure' && step.create.includes(DUMP_READER_ROLE_ID),
    );
    // Assess: in each holding project (ensured again for the snapshot function, which reads the dumps for readiness).
    expect([
      ...new Set(roles.map((step) => step.create.find((argument) => argument.startsWith('--project=')))),
    ]).toEqual(['--project=certctl-prod-1', '--project=certctl-stage-2']);
    expect(roles[0]?.create).toContain(
      '--permissions=storage.buckets.get,storage.objects.get,storage.objects.list',
    );
  });

  it('says in each key reader binding step it prints, granted or removed, that the role also reads the project (projects.get)', () => {
    // Act: the step the operator reads in the dry run before the grant is made.
    const keyBindings = plan(withDumps).filter(
      (step): step is Extract<GcpStep, { kind: 'run' }> =>
        step.kind === 'run' &&
        step.argv.some((argument) => argument.endsWith(`/roles/${DUMP_KEY_READER_ROLE_ID}`)),
    );

    // Assess
    expect(keyBindings.length).toBeGreaterThan(0);
    for (const step of keyBindings) expect(step.description).toContain('resourcemanager.projects.get');
  });

  it("lets the dumps account read its buckets' Cloud KMS key states in each holding project, and nothing else of Cloud KMS", () => {
    // Act
    const steps = plan(withDumps);
    const keyBindings = commands(steps)
      .filter(
        (argv) =>
          argv.includes(`--member=serviceAccount:${DUMPS_SA}`) &&
          argv[1] === 'projects' &&
          argv[2] === 'add-iam-policy-binding',
      )
      .map((argv) => [argv[3], argv.find((argument) => argument.startsWith('--role='))]);
    const roles = steps.filter(
      (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
        step.kind === 'ensure' && step.create.includes(DUMP_KEY_READER_ROLE_ID),
    );
    const dumpRolePermissions = steps
      .filter(
        (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
          step.kind === 'ensure' && step.create.includes(DUMP_READER_ROLE_ID),
      )
      .flatMap((step) => step.create.filter((argument) => argument.startsWith('--permissions=')));

    // Assess: the gets functions/gcp/gcs-dumps.ts makes (cryptoKeys.get of a default key,
    // cryptoKeyVersions.get of the version a newest dump names), bound on the projects holding dump
    // buckets (a Cloud KMS permission in the bucket-bound role would grant nothing).
    expect(keyBindings).toEqual([
      ['certctl-prod-1', `--role=projects/certctl-prod-1/roles/${DUMP_KEY_READER_ROLE_ID}`],
      ['certctl-stage-2', `--role=projects/certctl-stage-2/roles/${DUMP_KEY_READER_ROLE_ID}`],
    ]);
    expect([
      ...new Set(roles.map((step) => step.create.find((argument) => argument.startsWith('--project=')))),
    ]).toEqual(['--project=certctl-prod-1', '--project=certctl-stage-2']);
    // And projects.get of that project, for its number: each dump bucket must belong to it.
    expect(roles[0]?.create).toContain(
      '--permissions=cloudkms.cryptoKeys.get,cloudkms.cryptoKeyVersions.get,resourcemanager.projects.get',
    );
    expect(dumpRolePermissions.some((permissions) => permissions.includes('cloudkms.'))).toBe(false);
    expect(
      commands(steps).filter(
        (argv) =>
          argv.includes(`--member=serviceAccount:${DUMPS_SA}`) &&
          argv.some((a) => a.includes('roles/cloudkms.')),
      ),
    ).toEqual([]);
  });

  it('grants no storage role to the PITR function’s account, and nothing for dumps without a GCS location', () => {
    // Act
    const all = commands(plan(withDumps));
    const without = commands(plan());
    // Assess
    expect(
      all.filter(
        (argv) => argv.includes(`--member=serviceAccount:${RUNTIME_SA}`) && argv.includes('storage'),
      ),
    ).toEqual([]);
    expect(without.flat().filter((argument) => argument.includes(DUMP_READER_ROLE_ID))).toEqual([]);
    expect(without.flat().filter((argument) => argument.includes(DUMP_KEY_READER_ROLE_ID))).toEqual([]);
  });

  it('deploys auditDumps from its own bundle, as its own account, on schedules.auditDumps with its own scheduler job', () => {
    // Act
    const steps = plan(
      parsePolicy({ ...POLICY_INPUT, dumps: withDumps.dumps, schedules: { auditDumps: 'rate(6 hours)' } }),
    );
    const all = commands(steps);
    const deploy = all.find((argv) => argv[2] === 'deploy' && argv[3] === 'certctl-audit-dumps');
    const bundle = all.find(
      (argv) => argv[1] === CLOUD_FUNCTION_BUNDLER && argv[2] === 'functions/handlers/gcp/audit-dumps.ts',
    );
    const job = steps.find(
      (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
        step.kind === 'ensure' && step.create.includes('certctl-audit-dumps-schedule'),
    );
    // Assess
    expect(deploy).toEqual(
      expect.arrayContaining([
        '--entry-point=auditDumps',
        `--service-account=${DUMPS_SA}`,
        `--source=${placeholder(STAGING_DIR)}/source-audit-dumps`,
      ]),
    );
    expect(bundle?.[3]).toBe(`${placeholder(STAGING_DIR)}/source-audit-dumps`);
    expect(job?.create).toEqual(
      expect.arrayContaining([
        '--schedule=0 */6 * * *',
        `--uri=${placeholder('FUNCTION_URL_AUDIT_DUMPS')}`,
        `--oidc-token-audience=${placeholder('FUNCTION_URL_AUDIT_DUMPS')}`,
      ]),
    );
    expect(all).toContainEqual(
      expect.arrayContaining(['run', 'services', 'add-iam-policy-binding', 'certctl-audit-dumps']),
    );
    expect(all.flat()).toContain('storage.googleapis.com');
    // The buckets' Cloud KMS key states are read through the Cloud KMS API.
    expect(all.flat()).toContain('cloudkms.googleapis.com');
    // The number of each bucket's project is read through the Resource Manager API.
    expect(all.flat()).toContain('cloudresourcemanager.googleapis.com');
  });

  it('asks the federation role to trust every function’s account', () => {
    // Act
    const note = plan(withDumps).find((step) => step.kind === 'note' && step.message.includes('uniqueIds'));
    // Assess
    expect(note?.kind === 'note' ? note.message : '').toContain(
      `audit-pitr ${placeholder(SERVICE_ACCOUNT_UNIQUE_ID)}, audit-dumps ${placeholder('SERVICE_ACCOUNT_UNIQUE_ID_AUDIT_DUMPS')}`,
    );
    expect(note?.kind === 'note' ? note.message : '').toContain(
      `["${placeholder(SERVICE_ACCOUNT_UNIQUE_ID)}", "${placeholder('SERVICE_ACCOUNT_UNIQUE_ID_AUDIT_DUMPS')}"]`,
    );
  });

  it('removes the dumps and keys functions and their schedules when the policy no longer configures them', () => {
    // Act
    const removals = plan()
      .filter(
        (step): step is Extract<GcpStep, { kind: 'run' }> =>
          step.kind === 'run' && step.argv.includes('delete'),
      )
      .map((step) => [step.argv.slice(0, 5).join(' '), step.ifNotFound]);
    // Assess
    expect(removals).toEqual([
      ['gcloud scheduler jobs delete certctl-audit-dumps-schedule', 'skip'],
      ['gcloud functions delete certctl-audit-dumps --gen2', 'skip'],
      ['gcloud scheduler jobs delete certctl-audit-keys-schedule', 'skip'],
      ['gcloud functions delete certctl-audit-keys --gen2', 'skip'],
      // The chat functions are not configured either (no chatops.slack.teams): gone is fine.
      ['gcloud functions delete certctl-chat-slack --gen2', 'skip'],
      ['gcloud functions delete certctl-chat-action --gen2', 'skip'],
    ]);
    expect(commands(plan()).some((argv) => argv.includes('--entry-point=auditDumps'))).toBe(false);
    expect(commands(plan()).some((argv) => argv.includes('--entry-point=auditKeys'))).toBe(false);
  });

  it('names schedules.auditDumps when its rate has no Cloud Scheduler form', () => {
    // Act
    const attempt = () =>
      plan(
        parsePolicy({ ...POLICY_INPUT, dumps: withDumps.dumps, schedules: { auditDumps: 'rate(7 hours)' } }),
      );
    // Assess
    expect(attempt).toThrow(/schedules\.auditDumps: .*no Cloud Scheduler equivalent/);
  });

  it('tears down the dumps account’s Cloud KMS key state reads in each holding project with the function', () => {
    // Act
    const removals = commands(teardown(withDumps)).filter(
      (argv) =>
        argv.includes('remove-iam-policy-binding') &&
        argv[1] === 'projects' &&
        argv.includes(`--member=serviceAccount:${DUMPS_SA}`),
    );
    // Assess
    expect(
      removals.map((argv) => [argv[3], argv.find((argument) => argument.startsWith('--role='))]),
    ).toEqual([
      ['certctl-prod-1', `--role=projects/certctl-prod-1/roles/${DUMP_KEY_READER_ROLE_ID}`],
      ['certctl-stage-2', `--role=projects/certctl-stage-2/roles/${DUMP_KEY_READER_ROLE_ID}`],
    ]);
  });

  it('tears down the dumps account’s bucket bindings with the function', () => {
    // Act
    const removals = commands(teardown(withDumps)).filter(
      (argv) =>
        argv.includes('remove-iam-policy-binding') &&
        argv[1] === 'storage' &&
        argv.includes(`--member=serviceAccount:${DUMPS_SA}`),
    );
    // Assess
    expect(removals.map((argv) => [argv[4], argv[5], argv[6]])).toEqual([
      [
        'gs://certctl-dumps-a',
        `--member=serviceAccount:${DUMPS_SA}`,
        `--role=projects/certctl-prod-1/roles/${DUMP_READER_ROLE_ID}`,
      ],
      [
        'gs://certctl-dumps-b',
        `--member=serviceAccount:${DUMPS_SA}`,
        `--role=projects/certctl-stage-2/roles/${DUMP_READER_ROLE_ID}`,
      ],
    ]);
  });
});

describe('planGcpDeployment with Secret Manager key material', () => {
  const KEYS_SA = `${KEYS_SERVICE_ACCOUNT_ID}@certctl-ops.iam.gserviceaccount.com`;
  const withKeys = (inspectSecretValues: boolean): Policy =>
    parsePolicy({
      ...POLICY_INPUT,
      keys: {
        preset: 'none',
        inspectSecretValues,
        items: {
          'ca-backup': { kind: 'certificate', secret: 'projects/certctl-prod-1/secrets/certctl-ca' },
          'ca-key-backup': { kind: 'private-key', secret: 'projects/certctl-prod-1/secrets/certctl-ca-key' },
          'config-key': { kind: 'opaque', secret: 'projects/certctl-stage-2/secrets/certctl-config' },
          'aws-only': {
            kind: 'opaque',
            secret: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:certctl/aws-only',
          },
        },
      },
    });
  const keysBindings = (policy: Policy): string[] =>
    commands(plan(policy))
      .filter((argv) => argv.includes(`--member=serviceAccount:${KEYS_SA}`))
      .map((argv) => argv.filter((argument) => !argument.startsWith('--member=')).join(' '));

  it('binds the metadata reader role on each holding project and no payload access when inspection is off', () => {
    // Act / Assess: what it adds (the removals of earlier value reads are the next test's).
    expect(
      keysBindings(withKeys(false)).filter((line) => !line.includes('remove-iam-policy-binding')),
    ).toEqual([
      `gcloud projects add-iam-policy-binding certctl-prod-1 --role=projects/certctl-prod-1/roles/${SECRET_METADATA_READER_ROLE_ID} --condition=None --quiet`,
      `gcloud projects add-iam-policy-binding certctl-stage-2 --role=projects/certctl-stage-2/roles/${SECRET_METADATA_READER_ROLE_ID} --condition=None --quiet`,
    ]);
  });

  it('removes the secretAccessor an earlier deployment with inspection granted, once inspection is off', () => {
    // Act: a redeployment after keys.inspectSecretValues went from true to false.
    const accessors = plan(withKeys(false)).filter(
      (step): step is Extract<GcpStep, { kind: 'run' }> =>
        step.kind === 'run' && step.argv.includes(`--role=${SECRET_ACCESSOR_ROLE}`),
    );
    // Assess: every account that reads the inventory (keys audit, snapshot readiness, and
    // chat-action's, not configured here) loses the value reads on each inventory secret, and none
    // is added; already gone is fine.
    expect(accessors.filter((step) => step.argv.includes('add-iam-policy-binding'))).toEqual([]);
    const removed = accessors.filter(
      (step) => step.argv.includes(`--member=serviceAccount:${KEYS_SA}`) && step.ifNotFound === 'skip',
    );
    expect(removed.map((step) => step.argv.slice(0, 4).join(' '))).toEqual([
      'gcloud secrets remove-iam-policy-binding projects/certctl-prod-1/secrets/certctl-ca',
      'gcloud secrets remove-iam-policy-binding projects/certctl-prod-1/secrets/certctl-ca-key',
      'gcloud secrets remove-iam-policy-binding projects/certctl-stage-2/secrets/certctl-config',
    ]);
    expect(new Set(accessors.map((step) => step.argv.find((a) => a.startsWith('--member='))))).toEqual(
      new Set([
        `--member=serviceAccount:${KEYS_SA}`,
        '--member=serviceAccount:certctl-snapshot@certctl-ops.iam.gserviceaccount.com',
        '--member=serviceAccount:certctl-chat-action@certctl-ops.iam.gserviceaccount.com',
        // chat-slack's read of the signing secret, removed as chat is not configured.
        '--member=serviceAccount:certctl-chat-slack@certctl-ops.iam.gserviceaccount.com',
      ]),
    );
  });

  it('names a secret whose id starts with a hyphen so that gcloud cannot read it as a flag', () => {
    // Prepare: Secret Manager takes letters, digits, hyphens and underscores anywhere in a secret id.
    const policy = parsePolicy({
      ...POLICY_INPUT,
      keys: {
        preset: 'none',
        inspectSecretValues: true,
        items: { 'ca-key': { kind: 'private-key', secret: 'projects/certctl-prod-1/secrets/--quiet' } },
      },
    });

    // Act
    const secretBindings = commands(plan(policy)).filter(
      (argv) => argv[1] === 'secrets' && argv[2]?.endsWith('-iam-policy-binding'),
    );

    // Assess: before, `--quiet` was the positional secret, which gcloud parses as its flag.
    expect(secretBindings.map((argv) => argv.slice(0, 4).join(' '))).toContain(
      'gcloud secrets add-iam-policy-binding projects/certctl-prod-1/secrets/--quiet',
    );
    for (const argv of secretBindings) expect(argv[3]).not.toMatch(/^-/);
  });

  it('adds secretAccessor on each inventory secret only, and only when inspection is on', () => {
    // Act
    const bindings = keysBindings(withKeys(true));
    // Assess: never a project-wide accessor, and exactly the three inventory secrets.
    expect(bindings.filter((line) => line.includes(SECRET_ACCESSOR_ROLE))).toEqual([
      `gcloud secrets add-iam-policy-binding projects/certctl-prod-1/secrets/certctl-ca --role=${SECRET_ACCESSOR_ROLE} --condition=None --quiet`,
      `gcloud secrets add-iam-policy-binding projects/certctl-prod-1/secrets/certctl-ca-key --role=${SECRET_ACCESSOR_ROLE} --condition=None --quiet`,
      `gcloud secrets add-iam-policy-binding projects/certctl-stage-2/secrets/certctl-config --role=${SECRET_ACCESSOR_ROLE} --condition=None --quiet`,
    ]);
    expect(
      bindings.filter((line) => line.startsWith('gcloud projects') && line.includes('secretAccessor')),
    ).toEqual([]);
  });

  it('defines the metadata reader role with exactly the two metadata gets, no listing and no payload', () => {
    // Act
    const roles = plan(withKeys(true)).filter(
      (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
        step.kind === 'ensure' && step.create.includes(SECRET_METADATA_READER_ROLE_ID),
    );
    // Assess: in each holding project (ensured again for the snapshot function, which reads them for readiness).
    expect([
      ...new Set(roles.map((step) => step.create.find((argument) => argument.startsWith('--project=')))),
    ]).toEqual(['--project=certctl-prod-1', '--project=certctl-stage-2']);
    expect(roles[0]?.create).toContain(
      '--permissions=secretmanager.secrets.get,secretmanager.versions.get,cloudkms.cryptoKeys.get,cloudkms.cryptoKeyVersions.get',
    );
  });

  it("lets the keys audit read its secrets' Cloud KMS key states in each holding project, and nothing else of Cloud KMS", () => {
    // Act
    const steps = plan(withKeys(false));
    const roles = steps.filter(
      (step): step is Extract<GcpStep, { kind: 'ensure' }> =>
        step.kind === 'ensure' && step.create.includes(SECRET_METADATA_READER_ROLE_ID),
    );
    const permissions = roles.flatMap((step) =>
      (
        step.create
          .find((argument) => argument.startsWith('--permissions='))
          ?.slice('--permissions='.length) ?? ''
      ).split(','),
    );
    // Assess: the two gets functions/gcp/cloud-kms.ts makes (the role is bound on the holding
    // projects above), never a listing, a decrypt or a predefined Cloud KMS role for the keys account.
    expect([...new Set(permissions.filter((permission) => permission.startsWith('cloudkms.')))]).toEqual([
      'cloudkms.cryptoKeys.get',
      'cloudkms.cryptoKeyVersions.get',
    ]);
    expect(keysBindings(withKeys(true)).filter((line) => line.includes('roles/cloudkms.'))).toEqual([]);
  });

  it('grants the PITR function’s account no Secret Manager role, and deploys no keys function or account without a GCP secret', () => {
    // Act
    const all = commands(plan(withKeys(true)));
    const without = commands(plan());
    // Assess
    expect(
      all.filter(
        (argv) => argv.includes(`--member=serviceAccount:${RUNTIME_SA}`) && argv.join(' ').includes('secret'),
      ),
    ).toEqual([]);
    expect(
      without.filter(
        (argv) =>
          argv.includes('create') && argv.some((argument) => argument.includes(KEYS_SERVICE_ACCOUNT_ID)),
      ),
    ).toEqual([]);
  });

  it('goes on when an inventory secret does not exist yet (keys.present reports it)', () => {
    // Act
    const accessors = plan(withKeys(true)).filter(
      (step): step is Extract<GcpStep, { kind: 'run' }> =>
        step.kind === 'run' && step.argv.includes(`--role=${SECRET_ACCESSOR_ROLE}`),
    );
    // Assess: three secrets, added for the keys audit's account and the snapshot function's
    // (readiness), removed for chat-action's (chat not configured here); and chat-slack's read of
    // the signing secret removed.
    expect(accessors.map((step) => step.ifNotFound)).toEqual(Array(10).fill('skip'));
  });

  it('deploys auditKeys from its own bundle, as its own account, on schedules.auditKeys', () => {
    // Act
    const steps = plan(
      parsePolicy({
        ...POLICY_INPUT,
        schedules: { auditKeys: 'rate(12 hours)' },
        keys: withKeys(false).keys,
      }),
    );
    const argv = commands(steps);
    // Assess
    expect(
      argv.some(
        (command) =>
          command[1] === CLOUD_FUNCTION_BUNDLER && command[2] === 'functions/handlers/gcp/audit-keys.ts',
      ),
    ).toBe(true);
    const deploy = argv.find((command) => command.includes('--entry-point=auditKeys'));
    expect(deploy).toContain(`--service-account=${KEYS_SA}`);
    expect(deploy?.[3]).toBe('certctl-audit-keys');
    expect(
      argv.find((command) => command.includes('create') && command.includes('certctl-audit-keys-schedule')),
    ).toContain('--schedule=0 */12 * * *');
    expect(argv.find((command) => command.includes('enable'))).toContain('secretmanager.googleapis.com');
    // The secrets' Cloud KMS key states are read through the Cloud KMS API.
    expect(argv.find((command) => command.includes('enable'))).toContain('cloudkms.googleapis.com');
  });

  it('revokes the keys account’s project and secret bindings on tear-down, inspection or not', () => {
    // Act
    const steps = planGcpTeardown({
      project: 'certctl-ops',
      region: 'europe-west1',
      policy: withKeys(false),
    });
    const revoked = commands(steps)
      .filter((command) => command.includes(`--member=serviceAccount:${KEYS_SA}`))
      .map(
        (command) => `${command.slice(0, 4).join(' ')} ${command.find((a) => a.startsWith('--role=')) ?? ''}`,
      );
    // Assess
    expect(revoked).toEqual([
      `gcloud projects remove-iam-policy-binding certctl-prod-1 --role=projects/certctl-prod-1/roles/${SECRET_METADATA_READER_ROLE_ID}`,
      `gcloud projects remove-iam-policy-binding certctl-stage-2 --role=projects/certctl-stage-2/roles/${SECRET_METADATA_READER_ROLE_ID}`,
      `gcloud secrets remove-iam-policy-binding projects/certctl-prod-1/secrets/certctl-ca --role=${SECRET_ACCESSOR_ROLE}`,
      `gcloud secrets remove-iam-policy-binding projects/certctl-prod-1/secrets/certctl-ca-key --role=${SECRET_ACCESSOR_ROLE}`,
      `gcloud secrets remove-iam-policy-binding projects/certctl-stage-2/secrets/certctl-config --role=${SECRET_ACCESSOR_ROLE}`,
    ]);
  });
});

describe('planGcpDeployment with ChatOps', () => {
  const chatPolicy = parsePolicy({
    ...POLICY_INPUT,
    chatops: { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } },
  });
  const deployOf = (steps: readonly GcpStep[], entryPoint: string) =>
    commands(steps).find((argv) => argv.includes('deploy') && argv.includes(`--entry-point=${entryPoint}`)) ??
    [];

  it('takes back chat-action’s snapshot role when a redeployment no longer configures chat, with the function', () => {
    // Act: the policy without chatops, after a deployment with it.
    const steps = plan(POLICY);
    const chatAction = 'serviceAccount:certctl-chat-action@certctl-ops.iam.gserviceaccount.com';
    const revoked = steps.filter(
      (step): step is Extract<GcpStep, { kind: 'run' }> =>
        step.kind === 'run' &&
        step.argv.includes('remove-iam-policy-binding') &&
        step.argv.includes(`--member=${chatAction}`),
    );
    const deleteAt = steps.findIndex(
      (step) => step.kind === 'run' && step.argv.join(' ').includes('functions delete certctl-chat-action'),
    );

    // Assess: backupRuns.create in every project must not outlive the function; gone is fine.
    expect(deleteAt).toBeGreaterThan(-1);
    expect(revoked.map((step) => step.argv.find((a) => a.startsWith('--role=')))).toEqual([
      `--role=projects/certctl-prod-1/roles/${CHAT_ACTION_ROLE_ID}`,
      `--role=projects/certctl-stage-2/roles/${CHAT_ACTION_ROLE_ID}`,
      // Its request records' binding on the records bucket, which the snapshot function still uses.
      `--role=projects/certctl-ops/roles/${CHAT_RECORDS_ROLE_ID}`,
    ]);
    for (const step of revoked) expect(step.ifNotFound).toBe('skip');
  });

  it('deploys the Slack endpoint public, with the signing secret from Secret Manager, and the action on the chat topic', () => {
    // Act
    const steps = plan(chatPolicy);
    const slack = deployOf(steps, 'chatSlack');
    const action = deployOf(steps, 'chatAction');

    // Assess
    expect(slack).toEqual(
      expect.arrayContaining([
        'certctl-chat-slack',
        '--trigger-http',
        '--allow-unauthenticated',
        '--ingress-settings=all',
        `--set-secrets=SLACK_SIGNING_SECRET=${CHAT_SECRET_ID}:latest`,
        '--service-account=certctl-chat-slack@certctl-ops.iam.gserviceaccount.com',
      ]),
    );
    expect(action).toEqual(
      expect.arrayContaining([
        'certctl-chat-action',
        `--trigger-topic=${CHAT_TOPIC_ID}`,
        `--trigger-service-account=${INVOKER_SA}`,
        '--no-allow-unauthenticated',
        '--service-account=certctl-chat-action@certctl-ops.iam.gserviceaccount.com',
        // A delivery that finds a crashed run's claim fails to be delivered again: retries on.
        '--retry',
        // The timeout the function's claims expire by (CHAT_ACTION_TIMEOUT_MS).
        '--timeout=540s',
      ]),
    );
    expect(
      commands(steps).some((argv) => argv.includes('scheduler') && argv.join(' ').includes('chat')),
    ).toBe(false);
  });

  it('creates the secret, the topic and the records bucket, and gives each chat account only its own access', () => {
    // Act
    const steps = plan(chatPolicy);
    const ensured = steps.flatMap((step) =>
      step.kind === 'ensure' ? [step.create.slice(0, 4).join(' ')] : [],
    );
    const bindings = commands(steps)
      .filter(
        (argv) =>
          argv.includes('add-iam-policy-binding') &&
          argv.some((arg) => arg.startsWith('--member=serviceAccount:certctl-chat-')),
      )
      .map((argv) => {
        const at = argv.indexOf('add-iam-policy-binding');
        const resource = argv[1] === 'projects' ? argv[3] : argv[at + 1];
        const role = argv.find((arg) => arg.startsWith('--role=')) ?? '';
        return `${argv[1]} ${resource} ${role} ${argv.find((arg) => arg.startsWith('--member='))?.split('@')[0]}`;
      });

    // Assess
    expect(ensured).toEqual(
      expect.arrayContaining([
        `gcloud secrets create ${CHAT_SECRET_ID}`,
        'gcloud pubsub topics create',
        'gcloud storage buckets create',
      ]),
    );
    expect(bindings).toEqual([
      `secrets ${CHAT_SECRET_ID} --role=roles/secretmanager.secretAccessor --member=serviceAccount:certctl-chat-slack`,
      `pubsub ${CHAT_TOPIC_ID} --role=roles/pubsub.publisher --member=serviceAccount:certctl-chat-slack`,
      `projects certctl-prod-1 --role=projects/certctl-prod-1/roles/${CHAT_ACTION_ROLE_ID} --member=serviceAccount:certctl-chat-action`,
      `projects certctl-stage-2 --role=projects/certctl-stage-2/roles/${CHAT_ACTION_ROLE_ID} --member=serviceAccount:certctl-chat-action`,
      `storage gs://${chatRecordsBucket('certctl-ops')} --role=projects/certctl-ops/roles/certctlBackupGuardChatRecords --member=serviceAccount:certctl-chat-action`,
    ]);
    const role = steps.find((step) => step.kind === 'ensure' && step.create.includes(CHAT_ACTION_ROLE_ID));
    expect(role?.kind === 'ensure' ? role.create : []).toContain(
      `--permissions=${CHAT_ACTION_PERMISSIONS.join(',')}`,
    );
  });

  it("lets both functions that judge a backup's key read Cloud KMS key versions (roles/cloudkms.viewer's two reads, no more), on create and on update of their roles, and not the PITR reader", () => {
    // Act
    const steps = plan(chatPolicy);
    const permissionsOf = (id: string) =>
      customRoleSteps(steps, id).flatMap((step) =>
        [step.create, step.update ?? []].map(
          (argv) =>
            argv
              .find((arg) => arg.startsWith('--permissions='))
              ?.slice('--permissions='.length)
              .split(',') ?? [],
        ),
      );
    const judging = [CHAT_ACTION_ROLE_ID, CLOUD_SQL_SNAPSHOT_ROLE_ID].map(permissionsOf);
    const reader = permissionsOf(CLOUD_SQL_READER_ROLE_ID);

    // Assess: one create and one update per audited project, each with exactly the two Cloud KMS reads.
    for (const lists of judging) {
      expect(lists).toHaveLength(4);
      for (const permissions of lists) {
        expect(permissions.filter((permission) => permission.startsWith('cloudkms.'))).toEqual([
          'cloudkms.cryptoKeys.get',
          'cloudkms.cryptoKeyVersions.get',
        ]);
      }
    }
    for (const permissions of reader) {
      expect(permissions.filter((permission) => permission.startsWith('cloudkms.'))).toEqual([]);
    }
    // The Cloud KMS API is enabled even when no dumps or keys audit is deployed (the default policy).
    const enable = plan().find(
      (step) => step.kind === 'run' && step.argv.includes('services') && step.argv.includes('enable'),
    );
    expect(enable?.kind === 'run' ? enable.argv : []).toContain('cloudkms.googleapis.com');
  });

  it('lets both functions that replay snapshots re-read a backup run (cloudsql.backupRuns.get), on create and on update of their roles, and not the PITR reader', () => {
    // Act
    const steps = plan(chatPolicy);
    const permissionsOf = (id: string) =>
      customRoleSteps(steps, id).flatMap((step) =>
        [step.create, step.update ?? []].map(
          (argv) =>
            argv
              .find((arg) => arg.startsWith('--permissions='))
              ?.slice('--permissions='.length)
              .split(',') ?? [],
        ),
      );
    const replaying = [CHAT_ACTION_ROLE_ID, CLOUD_SQL_SNAPSHOT_ROLE_ID].map(permissionsOf);
    const reader = permissionsOf(CLOUD_SQL_READER_ROLE_ID);

    // Assess: one create and one update per audited project, each with the re-read.
    for (const lists of replaying) {
      expect(lists).toHaveLength(4);
      for (const permissions of lists) expect(permissions).toContain('cloudsql.backupRuns.get');
    }
    expect(reader.length).toBeGreaterThan(0);
    for (const permissions of reader) expect(permissions).not.toContain('cloudsql.backupRuns.get');
  });

  it('gives chat-action what its readiness reads beyond Cloud SQL, the dump buckets and the inventory secrets, and takes it back at teardown', () => {
    // Prepare
    const member = '--member=serviceAccount:certctl-chat-action@certctl-ops.iam.gserviceaccount.com';
    const policy = parsePolicy({
      ...POLICY_INPUT,
      chatops: { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } },
      dumps: {
        locations: [{ provider: 'gcp', bucket: 'certctl-dumps-a', project: 'certctl-prod-1', region: 'EU' }],
      },
      keys: {
        preset: 'none',
        items: { 'ca-key': { kind: 'private-key', secret: 'projects/certctl-prod-1/secrets/ca-key' } },
      },
    });
    const ofChatAction = (steps: readonly GcpStep[], verb: string) =>
      commands(steps)
        .filter((argv) => argv.includes(verb) && argv.includes(member))
        .map((argv) => [argv.slice(0, 4).join(' '), argv.find((a) => a.startsWith('--role='))].join(' '));

    // Act
    const granted = ofChatAction(plan(policy), 'add-iam-policy-binding');
    const revoked = ofChatAction(teardown(policy), 'remove-iam-policy-binding');

    // Assess: metadata only (no value access without inspection), the same grants as the snapshot function's.
    expect(granted).toEqual(
      expect.arrayContaining([
        `gcloud storage buckets add-iam-policy-binding --role=projects/certctl-prod-1/roles/${DUMP_READER_ROLE_ID}`,
        `gcloud projects add-iam-policy-binding certctl-prod-1 --role=projects/certctl-prod-1/roles/${SECRET_METADATA_READER_ROLE_ID}`,
      ]),
    );
    expect(granted.some((binding) => binding.includes(SECRET_ACCESSOR_ROLE))).toBe(false);
    expect(revoked).toEqual(
      expect.arrayContaining([
        `gcloud storage buckets remove-iam-policy-binding --role=projects/certctl-prod-1/roles/${DUMP_READER_ROLE_ID}`,
        `gcloud projects remove-iam-policy-binding certctl-prod-1 --role=projects/certctl-prod-1/roles/${SECRET_METADATA_READER_ROLE_ID}`,
      ]),
    );
  });

  it('hands the topic and the records bucket to the functions, and keeps the chat accounts out of the federation note', () => {
    // Act
    const steps = plan(chatPolicy);
    const env = steps.find((step) => step.kind === 'write-file' && step.path.endsWith('env.yaml'));
    const note = steps
      .filter((step) => step.kind === 'note')
      .map((step) => step.message)
      .join('\n');

    // Assess
    const values = parseYaml(env?.kind === 'write-file' ? env.content : '') as Record<string, string>;
    expect(values.BACKUP_GUARD_CHAT_TOPIC).toBe(`projects/certctl-ops/topics/${CHAT_TOPIC_ID}`);
    expect(values.BACKUP_GUARD_CHAT_BUCKET).toBe(chatRecordsBucket('certctl-ops'));
    expect(note).toContain("Set the Slack app's slash command Request URL");
    expect(note).toMatch(/Service account uniqueIds: audit-pitr \$\{SERVICE_ACCOUNT_UNIQUE_ID\}\./);
  });
});

describe('planGcpDeployment: the snapshot function', () => {
  const member = `--member=serviceAccount:${SNAPSHOT_SA}`;
  const bindingsOf = (steps: readonly GcpStep[]) =>
    commands(steps)
      .filter((argv) => argv.includes('add-iam-policy-binding') && argv.includes(member))
      .map((argv) => [argv.slice(0, 4).join(' '), argv.find((a) => a.startsWith('--role='))].join(' '));

  it('deploys certctl-snapshot from its own bundle, HTTP and authenticated, as its own account, for as long as a run of the policy wait can last', () => {
    // Act
    const steps = plan(parsePolicy({ ...POLICY_INPUT, snapshots: { waitMinutes: 20 } }));
    const deploy = commandStartingWith(steps, 'gcloud', 'functions', 'deploy', 'certctl-snapshot');

    // Assess
    expect(
      commandStartingWith(steps, 'node', CLOUD_FUNCTION_BUNDLER, 'functions/handlers/gcp/snapshot.ts'),
    ).toEqual([
      'node',
      CLOUD_FUNCTION_BUNDLER,
      'functions/handlers/gcp/snapshot.ts',
      `${STAGE}/source-snapshot`,
    ]);
    expect(deploy).toEqual(
      expect.arrayContaining([
        '--entry-point=snapshot',
        '--trigger-http',
        '--no-allow-unauthenticated',
        `--service-account=${SNAPSHOT_SA}`,
        '--timeout=1500s',
      ]),
    );
    // Called on request, and by its own scheduler job, which runs the maintenance scan as the invoker.
    const scheduler = steps.find(
      (step) => step.kind === 'ensure' && step.create.includes('certctl-snapshot-schedule'),
    );
    expect(scheduler?.kind === 'ensure' ? scheduler.create : []).toEqual(
      expect.arrayContaining([
        '--schedule=0 */6 * * *',
        '--description=certctl-backup-guard snapshot (rate(6 hours))',
        '--message-body={"action":"maintenance"}',
        `--oidc-service-account-email=${INVOKER_SA}`,
        '--attempt-deadline=1530s',
      ]),
    );
    expect(
      commands(steps)
        .filter(
          (argv) => argv.slice(0, 3).join(' ') === 'gcloud run services' && argv.includes('certctl-snapshot'),
        )
        .map((argv) => [
          argv.find((a) => a.startsWith('--member=')),
          argv.find((a) => a.startsWith('--role=')),
        ]),
    ).toEqual([[`--member=serviceAccount:${INVOKER_SA}`, `--role=${RUN_INVOKER_ROLE}`]]);
  });

  it('gives its account the Cloud SQL snapshot role in each audited project, with exactly the backup calls and the reads', () => {
    // Act
    const steps = plan();
    const roles = customRoleSteps(steps, CLOUD_SQL_SNAPSHOT_ROLE_ID);

    // Assess
    expect(bindingsOf(steps)).toEqual([
      `gcloud projects add-iam-policy-binding certctl-prod-1 --role=projects/certctl-prod-1/roles/${CLOUD_SQL_SNAPSHOT_ROLE_ID}`,
      `gcloud projects add-iam-policy-binding certctl-stage-2 --role=projects/certctl-stage-2/roles/${CLOUD_SQL_SNAPSHOT_ROLE_ID}`,
      // Its request records, in the records bucket only.
      `gcloud storage buckets add-iam-policy-binding --role=projects/certctl-ops/roles/${CHAT_RECORDS_ROLE_ID}`,
    ]);
    expect(CLOUD_SQL_SNAPSHOT_PERMISSIONS).toEqual([
      'cloudsql.instances.list',
      'cloudsql.instances.get',
      'cloudsql.backupRuns.list',
      'cloudsql.backupRuns.get',
      'cloudsql.backupRuns.create',
      'cloudkms.cryptoKeys.get',
      'cloudkms.cryptoKeyVersions.get',
    ]);
    expect(roles.map((step) => step.create.find((a) => a.startsWith('--project=')))).toEqual([
      '--project=certctl-prod-1',
      '--project=certctl-stage-2',
    ]);
    for (const step of roles) {
      expect(step.create).toContain(`--permissions=${CLOUD_SQL_SNAPSHOT_PERMISSIONS.join(',')}`);
    }
  });

  it('adds what readiness reads beyond Cloud SQL: the dump buckets and the inventory secrets, values only with inspection', () => {
    // Act
    const bindings = bindingsOf(
      plan(
        parsePolicy({
          ...POLICY_INPUT,
          dumps: {
            locations: [
              { provider: 'gcp', bucket: 'certctl-dumps-a', project: 'certctl-prod-1', region: 'EU' },
            ],
          },
          keys: {
            preset: 'none',
            inspectSecretValues: true,
            items: { 'ca-key': { kind: 'private-key', secret: 'projects/certctl-prod-1/secrets/ca-key' } },
          },
        }),
      ),
    );

    // Assess
    expect(bindings).toEqual(
      expect.arrayContaining([
        `gcloud storage buckets add-iam-policy-binding --role=projects/certctl-prod-1/roles/${DUMP_READER_ROLE_ID}`,
        `gcloud projects add-iam-policy-binding certctl-prod-1 --role=projects/certctl-prod-1/roles/${DUMP_KEY_READER_ROLE_ID}`,
        `gcloud projects add-iam-policy-binding certctl-prod-1 --role=projects/certctl-prod-1/roles/${SECRET_METADATA_READER_ROLE_ID}`,
        `gcloud secrets add-iam-policy-binding projects/certctl-prod-1/secrets/ca-key --role=${SECRET_ACCESSOR_ROLE}`,
      ]),
    );
    expect(bindings).toHaveLength(7);
  });

  it('creates the records bucket for its request records without chatops, each prefix expiring on its own rule', () => {
    // Act
    const steps = plan(parsePolicy({ ...POLICY_INPUT, snapshots: { expiryDays: 30 } }));
    const lifecycle = steps.find(
      (step) => step.kind === 'write-file' && step.path.endsWith('chat-records-lifecycle.json'),
    );

    // Assess: snapshot records outlive the 30-day snapshots they report; chat records keep 2 days;
    // run records outlive the snapshots they name by the 30 days prune may come late
    // (functions/actions/snapshot/run-records.ts RUN_RECORD_MARGIN_DAYS).
    expect(
      steps.some(
        (step) => step.kind === 'ensure' && step.create.includes(`gs://${chatRecordsBucket('certctl-ops')}`),
      ),
    ).toBe(true);
    expect(JSON.parse(lifecycle?.kind === 'write-file' ? lifecycle.content : '{}')).toEqual({
      rule: [
        { action: { type: 'Delete' }, condition: { age: 2, matchesPrefix: ['chat-requests/'] } },
        { action: { type: 'Delete' }, condition: { age: 31, matchesPrefix: ['snapshot-requests/'] } },
        { action: { type: 'Delete' }, condition: { age: 61, matchesPrefix: ['snapshot-run-records/'] } },
      ],
    });
  });

  it('is not asked to be trusted by the federation role, since it publishes nothing', () => {
    // Act
    const note = plan().find((step) => step.kind === 'note' && step.message.includes('uniqueIds'));

    // Assess
    expect(note?.kind === 'note' ? note.message : '').not.toContain('SNAPSHOT');
  });
});

describe('planGcpDeployment: dump buckets and inventory secrets dropped from the policy', () => {
  const DUMPS_SA = `${DUMPS_SERVICE_ACCOUNT_ID}@certctl-ops.iam.gserviceaccount.com`;
  const KEYS_SA = `${KEYS_SERVICE_ACCOUNT_ID}@certctl-ops.iam.gserviceaccount.com`;
  const CHAT_ACTION_SA = 'certctl-chat-action@certctl-ops.iam.gserviceaccount.com';
  /** A policy listing these `<project>/<bucket>` dump locations and `<project>/<secret>` inventory secrets. */
  const listing = (buckets: string[], secrets: string[], inspectSecretValues = false): Policy =>
    parsePolicy({
      ...POLICY_INPUT,
      ...(buckets.length > 0
        ? {
            dumps: {
              locations: buckets.map((entry) => {
                const [project, bucket] = entry.split('/');
                return { provider: 'gcp', bucket, project, region: 'EU' };
              }),
            },
          }
        : {}),
      ...(secrets.length > 0
        ? {
            keys: {
              preset: 'none',
              inspectSecretValues,
              items: Object.fromEntries(
                secrets.map((entry, index) => {
                  const [project, secret] = entry.split('/');
                  return [
                    `item-${index}`,
                    { kind: 'opaque', secret: `projects/${project}/secrets/${secret}` },
                  ];
                }),
              ),
            },
          }
        : {}),
    });
  const RECORDED_BUCKETS =
    'certctl-prod-1/certctl-dumps-a,certctl-stage-2/certctl-dumps-b,certctl-old-3/certctl-dumps-c';
  const RECORDED_PROJECT_LIST = 'certctl-prod-1,certctl-stage-2';
  const RECORDED_SECRET_LIST =
    'certctl-prod-1/certctl-ca,certctl-prod-1/certctl-ca-key,certctl-stage-2/certctl-config';
  /**
   * The policy after certctl-dumps-b, certctl-dumps-c, certctl-ca-key and certctl-config (all of
   * certctl-stage-2's) were dropped; with chat, so that every account that reads them is deployed.
   */
  const AFTER = parsePolicy({
    ...listing(['certctl-prod-1/certctl-dumps-a'], ['certctl-prod-1/certctl-ca'], true),
    chatops: { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } },
  });

  /** The steps that read the records and revoke what they list and the policy does not, and the notes about them. */
  const recordSteps = (steps: readonly GcpStep[]): GcpStep[] =>
    steps.filter(
      (step) =>
        (step.kind === 'run' &&
          (step.capture === RECORDED_PROJECTS ||
            step.capture === RECORDED_DUMP_BUCKETS ||
            step.capture === RECORDED_SECRETS)) ||
        step.kind === 'for-each-recorded' ||
        (step.kind === 'note' && step.ifEmpty !== undefined),
    );
  const removals = (dir: string) => calls(dir).filter((call) => call.includes('remove-iam-policy-binding'));
  const droppedBucketRemovals = (sa: string) => [
    `storage buckets remove-iam-policy-binding gs://certctl-dumps-b --member=serviceAccount:${sa} --role=projects/certctl-stage-2/roles/${DUMP_READER_ROLE_ID}`,
    `storage buckets remove-iam-policy-binding gs://certctl-dumps-c --member=serviceAccount:${sa} --role=projects/certctl-old-3/roles/${DUMP_READER_ROLE_ID}`,
    `projects remove-iam-policy-binding certctl-stage-2 --member=serviceAccount:${sa} --role=projects/certctl-stage-2/roles/${DUMP_KEY_READER_ROLE_ID} --condition=None --quiet`,
    `projects remove-iam-policy-binding certctl-old-3 --member=serviceAccount:${sa} --role=projects/certctl-old-3/roles/${DUMP_KEY_READER_ROLE_ID} --condition=None --quiet`,
  ];
  const droppedSecretRemovals = (sa: string) => [
    `secrets remove-iam-policy-binding projects/certctl-prod-1/secrets/certctl-ca-key --member=serviceAccount:${sa} --role=${SECRET_ACCESSOR_ROLE} --condition=None --quiet`,
    `secrets remove-iam-policy-binding projects/certctl-stage-2/secrets/certctl-config --member=serviceAccount:${sa} --role=${SECRET_ACCESSOR_ROLE} --condition=None --quiet`,
    `projects remove-iam-policy-binding certctl-stage-2 --member=serviceAccount:${sa} --role=projects/certctl-stage-2/roles/${SECRET_METADATA_READER_ROLE_ID} --condition=None --quiet`,
  ];
  /** What a redeployment with {@link AFTER} must remove, for every account that reads the dumps or the inventory. */
  const EXPECTED_REMOVALS = [
    ...[DUMPS_SA, SNAPSHOT_SA, CHAT_ACTION_SA].flatMap(droppedBucketRemovals),
    ...[KEYS_SA, SNAPSHOT_SA, CHAT_ACTION_SA].flatMap(droppedSecretRemovals),
  ].sort();

  it('records the bound dump buckets and secrets on the function as <project>/<name> lists, and none as "none"', () => {
    // Act
    const environmentOf = (policy: Policy) => {
      const envFile = plan(policy).find((s) => s.kind === 'write-file' && s.path.endsWith('/env.yaml'));
      return parseYaml(envFile?.kind === 'write-file' ? envFile.content : '') as Record<string, string>;
    };
    const listed = environmentOf(
      listing(
        ['certctl-stage-2/certctl-dumps-b', 'certctl-prod-1/certctl-dumps-a'],
        ['certctl-stage-2/certctl-config', 'certctl-prod-1/certctl-ca'],
      ),
    );
    const unlisted = environmentOf(POLICY);

    // Assess: an empty list is written, so that it reads apart from no record at all.
    expect(listed[BOUND_DUMP_BUCKETS_ENV]).toBe(
      'certctl-prod-1/certctl-dumps-a,certctl-stage-2/certctl-dumps-b',
    );
    expect(listed[BOUND_SECRETS_ENV]).toBe('certctl-prod-1/certctl-ca,certctl-stage-2/certctl-config');
    expect(unlisted[BOUND_DUMP_BUCKETS_ENV]).toBe('none');
    expect(unlisted[BOUND_SECRETS_ENV]).toBe('none');
  });

  it('reads both records from the function before revoking and revokes before any function is deployed', () => {
    // Act
    const steps = plan(AFTER);
    const readAt = (name: string) => steps.findIndex((s) => s.kind === 'run' && s.capture === name);
    const firstRevokeAt = steps.findIndex((s) => s.kind === 'for-each-recorded');
    const lastRevokeAt = steps.findLastIndex((s) => s.kind === 'for-each-recorded');
    const firstDeployAt = steps.findIndex((s) => s.kind === 'run' && s.argv[2] === 'deploy');

    // Assess
    for (const [name, variable] of [
      [RECORDED_DUMP_BUCKETS, BOUND_DUMP_BUCKETS_ENV],
      [RECORDED_SECRETS, BOUND_SECRETS_ENV],
    ] as const) {
      expect(steps[readAt(name)]).toMatchObject({
        ifNotFound: 'skip',
        argv: expect.arrayContaining([
          'describe',
          'certctl-audit-pitr',
          `--format=value(serviceConfig.environmentVariables.${variable})`,
        ]),
      });
      expect(readAt(name)).toBeGreaterThan(-1);
      expect(readAt(name)).toBeLessThan(firstRevokeAt);
    }
    // The deploy rewrites the record: revoking after it, a failed run could not be run again.
    expect(lastRevokeAt).toBeGreaterThan(-1);
    expect(lastRevokeAt).toBeLessThan(firstDeployAt);
  });

  it('revokes for the functions it removes before any function is deployed too', () => {
    // Act: a policy without dump locations, inventory secrets or chat, after one with them.
    const steps = plan(POLICY);
    const revokes = steps.flatMap((step, index) =>
      step.kind === 'for-each-recorded' || step.kind === 'for-each-project' ? [{ step, index }] : [],
    );
    const firstDeployAt = steps.findIndex((s) => s.kind === 'run' && s.argv[2] === 'deploy');

    // Assess: the removed dumps, keys and chat-action accounts' loops among them.
    expect(
      new Set(revokes.map(({ step }) => step.argv.find((a) => a.startsWith('--member='))?.split('@')[0])),
    ).toEqual(
      new Set(
        [
          'certctl-audit-pitr',
          DUMPS_SERVICE_ACCOUNT_ID,
          KEYS_SERVICE_ACCOUNT_ID,
          'certctl-snapshot',
          'certctl-chat-action',
        ].map((account) => `--member=serviceAccount:${account}`),
      ),
    );
    expect(Math.max(...revokes.map(({ index }) => index))).toBeLessThan(firstDeployAt);
  });

  it('removes exactly the dropped buckets, secrets and projects for every account that read them, and nothing still listed', () => {
    // Prepare
    const dir = scratch();
    const bin = fakeGcloud(dir, {
      recorded: RECORDED_PROJECT_LIST,
      recordedBuckets: RECORDED_BUCKETS,
      recordedSecrets: RECORDED_SECRET_LIST,
    });
    const lines: string[] = [];

    // Act
    withPath(bin, () =>
      runSteps(recordSteps(plan(AFTER)), { log: (line) => lines.push(line), stagingParent: dir }),
    );

    // Assess
    expect(removals(dir).sort()).toEqual(EXPECTED_REMOVALS);
    expect(lines.join('\n')).not.toContain('not revoked');
  });

  it('plans no removal of a listed bucket, secret or holding project', () => {
    // Act
    const steps = plan(AFTER);
    const listedRemovals = commands(steps).filter(
      (argv) =>
        argv.includes('remove-iam-policy-binding') &&
        (argv.includes('gs://certctl-dumps-a') ||
          argv.includes('certctl-ca') ||
          argv.some((a) => a === `--role=projects/certctl-prod-1/roles/${DUMP_KEY_READER_ROLE_ID}`) ||
          argv.some((a) => a === `--role=projects/certctl-prod-1/roles/${SECRET_METADATA_READER_ROLE_ID}`)),
    );
    const loops = steps.filter((s) => s.kind === 'for-each-recorded');

    // Assess: the listed ones are what every loop skips.
    expect(listedRemovals).toEqual([]);
    expect(new Set(loops.map((s) => (s.kind === 'for-each-recorded' ? s.skip.join(',') : '')))).toEqual(
      new Set(['certctl-prod-1/certctl-dumps-a', 'certctl-prod-1/certctl-ca', 'certctl-prod-1']),
    );
  });

  it('does the same through the printed --dry-run script', () => {
    // Prepare
    const dir = scratch();
    const bin = fakeGcloud(dir, {
      recorded: RECORDED_PROJECT_LIST,
      recordedBuckets: RECORDED_BUCKETS,
      recordedSecrets: RECORDED_SECRET_LIST,
    });

    // Act
    const result = spawnSync('bash', ['-c', renderShellScript(recordSteps(plan(AFTER)))], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });

    // Assess
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(removals(dir).sort()).toEqual(EXPECTED_REMOVALS);
    expect(result.stdout).not.toContain('not revoked');
  });

  it('goes on without a record (a first deployment, or one by an earlier version) and says what it could not revoke', () => {
    // Prepare: the function does not exist, or has no record: gcloud prints nothing.
    const dir = scratch();
    const bin = fakeGcloud(dir, {});
    const lines: string[] = [];
    const steps = recordSteps(plan(AFTER));

    // Act
    withPath(bin, () => runSteps(steps, { log: (line) => lines.push(line), stagingParent: dir }));
    const printed = spawnSync('bash', ['-c', renderShellScript(steps)], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    });

    // Assess: nothing removed, and both the run and the printed script say so.
    expect(removals(dir)).toEqual([]);
    expect(printed.status).toBe(0);
    for (const output of [lines.join('\n'), printed.stdout]) {
      expect(output).toMatch(new RegExp(`${BOUND_DUMP_BUCKETS_ENV}.*dumps\\.locations.*not revoked`));
      expect(output).toMatch(new RegExp(`${BOUND_SECRETS_ENV}.*keys.*not revoked`));
    }
    expect(renderShellScript(plan(AFTER))).toContain(`if [[ -z "\${${RECORDED_DUMP_BUCKETS}}" ]]; then`);
  });

  it('says so for a missing projects record as for the dump buckets and secrets records, deploying and tearing down', () => {
    // Prepare: no function, so no record of any kind (gcloud prints nothing).
    const dir = scratch();
    const bin = fakeGcloud(dir, {});
    const notesOf = (steps: readonly GcpStep[]) =>
      steps.filter(
        (step): step is Extract<GcpStep, { kind: 'note' }> => step.kind === 'note' && !!step.ifEmpty,
      );

    for (const steps of [plan(AFTER), teardown(AFTER)]) {
      // Act
      const notes = notesOf(steps);
      const lines: string[] = [];
      withPath(bin, () =>
        runSteps(
          steps.filter(
            (step) =>
              (step.kind === 'note' && !!step.ifEmpty) ||
              (step.kind === 'run' && !!step.capture?.startsWith('RECORDED_')),
          ),
          { log: (line) => lines.push(line), stagingParent: dir },
        ),
      );

      // Assess: one note per record, each the same shape, each shown when its record is missing.
      expect(notes.map((note) => note.ifEmpty)).toEqual([
        RECORDED_PROJECTS,
        RECORDED_DUMP_BUCKETS,
        RECORDED_SECRETS,
      ]);
      for (const note of notes) {
        expect(note.message).toMatch(
          /^BACKUP_GUARD_BOUND_\w+ is not on certctl-audit-pitr \(a first deployment, or one by an earlier version\): grants (in|on) [^:]+ dropped from .+? before this run, if any, were not revoked \([^)]+, held by [^)]+\)\. Remove one by hand with: gcloud \S+ /,
        );
      }
      expect(lines.join('\n')).toMatch(
        new RegExp(
          `${BOUND_PROJECTS_ENV} is not on .*projects dropped from gcp\\.projects .*not revoked .*${CLOUD_SQL_READER_ROLE_ID}.*${CLOUD_SQL_SNAPSHOT_ROLE_ID}.*${CHAT_ACTION_ROLE_ID}.*gcloud projects remove-iam-policy-binding <project>`,
        ),
      );
    }
    expect(renderShellScript(plan(AFTER))).toContain(`if [[ -z "\${${RECORDED_PROJECTS}}" ]]; then`);
  });

  /** A Cloud Storage bucket name with dots, longer than 63 characters (86; each part at most 63). */
  const DOTTED = `certctl.dumps.${'a'.repeat(60)}.example.com`;

  it('takes a dotted Cloud Storage bucket name longer than 63 characters, and records it as the next deploy reads it', () => {
    // Act: before, the policy refused it (bucket names were 3-63 characters for both stores).
    const policy = listing([`certctl-prod-1/${DOTTED}`], []);
    const envFile = plan(policy).find((s) => s.kind === 'write-file' && s.path.endsWith('/env.yaml'));
    const environment = parseYaml(envFile?.kind === 'write-file' ? envFile.content : '') as Record<
      string,
      string
    >;

    // Assess
    expect(environment[BOUND_DUMP_BUCKETS_ENV]).toBe(`certctl-prod-1/${DOTTED}`);
    expect(environment[BOUND_DUMP_BUCKETS_ENV]).toMatch(new RegExp(RECORDED_ENTRY.bucket));
    // A part over 63 characters, or a name over 63 without dots, is no Cloud Storage bucket name.
    expect(() => listing([`certctl-prod-1/certctl.${'a'.repeat(64)}`], [])).toThrow(
      /each dot-separated part at most 63 characters/,
    );
    expect(() => listing([`certctl-prod-1/${'a'.repeat(64)}`], [])).toThrow(
      /must be a Cloud Storage bucket name/,
    );
    expect(() => listing([`certctl-prod-1/${'a.'.repeat(111)}a`], [])).toThrow(
      /must be a Cloud Storage bucket name/,
    );
  });

  it('revokes a recorded dotted bucket longer than 63 characters instead of stopping the deploy', () => {
    // Prepare: before, its entry did not match the record pattern and the run stopped.
    const dir = scratch();
    const bin = fakeGcloud(dir, {
      recordedBuckets: `certctl-prod-1/certctl-dumps-a,certctl-prod-1/${DOTTED}`,
    });

    // Act
    withPath(bin, () => runSteps(recordSteps(plan(AFTER)), { log: () => {}, stagingParent: dir }));

    // Assess
    expect(removals(dir).filter((call) => call.includes(`gs://${DOTTED} `))).toHaveLength(3);
  });

  it('refuses a recorded entry that is not <project>/<name>', () => {
    // Prepare
    const dir = scratch();
    const bin = fakeGcloud(dir, {
      recordedBuckets: 'certctl-prod-1/certctl-dumps-a,--impersonate-service-account=x',
    });

    // Act / Assess
    expect(() =>
      withPath(bin, () => runSteps(recordSteps(plan(AFTER)), { log: () => {}, stagingParent: dir })),
    ).toThrow(/"--impersonate-service-account=x" is not a recorded <project>\/<name>/);
    expect(removals(dir)).toEqual([]);
  });

  it('revokes everything recorded and everything listed on --destroy', () => {
    // Prepare: the policy lists a bucket and a secret the record does not (a deployment that failed before recording).
    const dir = scratch();
    const bin = fakeGcloud(dir, {
      recorded: RECORDED_PROJECT_LIST,
      recordedBuckets: RECORDED_BUCKETS,
      recordedSecrets: RECORDED_SECRET_LIST,
    });
    const policy = listing(
      ['certctl-prod-1/certctl-dumps-a', 'certctl-stage-2/certctl-dumps-d'],
      ['certctl-stage-2/certctl-new'],
    );

    // Act
    withPath(bin, () => runSteps(teardown(policy), { log: () => {}, stagingParent: dir }));

    // Assess
    /** What a removal is on: the argument after remove-iam-policy-binding. */
    const target = (call: string) =>
      call.split(' ').at(call.split(' ').indexOf('remove-iam-policy-binding') + 1);
    const ofDumps = removals(dir)
      .filter((call) => call.includes(`--member=serviceAccount:${DUMPS_SA}`))
      .map(target);
    const ofKeys = removals(dir)
      .filter((call) => call.includes(`--member=serviceAccount:${KEYS_SA}`))
      .map((call) => `${call.split(' ')[0]} ${target(call)}`);
    expect(ofDumps.sort()).toEqual([
      'certctl-old-3',
      'certctl-prod-1',
      'certctl-stage-2',
      'gs://certctl-dumps-a',
      'gs://certctl-dumps-b',
      'gs://certctl-dumps-c',
      'gs://certctl-dumps-d',
    ]);
    expect(ofKeys.sort()).toEqual([
      'projects certctl-prod-1',
      'projects certctl-stage-2',
      'secrets projects/certctl-prod-1/secrets/certctl-ca',
      'secrets projects/certctl-prod-1/secrets/certctl-ca-key',
      'secrets projects/certctl-stage-2/secrets/certctl-config',
      'secrets projects/certctl-stage-2/secrets/certctl-new',
    ]);
  });

  it("counts chat-slack's signing secret variable with its environment, and refuses naming the figure and what to shrink", () => {
    // Prepare: a policy with chat whose env-vars file alone fits the 32 KiB and, with chat-slack's
    // SLACK_SIGNING_SECRET (from Secret Manager), does not. Each character more in an inventory
    // secret's id is one byte in the policy and one in its record.
    const limit = 32 * 1024;
    const secrets = (count: number, lastIdLength = 30) =>
      Array.from(
        { length: count },
        (_, index) =>
          `certctl-prod-1/${`certctl-secret-${index}-`.padEnd(index === count - 1 ? lastIdLength : 30, 'x')}`,
      );
    const withChat = (count: number, lastIdLength = 30) =>
      parsePolicy({
        ...listing([], secrets(count, lastIdLength)),
        chatops: { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } },
      });
    const envFileBytes = (policy: Policy) => {
      const envFile = plan(policy).find((s) => s.kind === 'write-file' && s.path.endsWith('/env.yaml'));
      const environment = parseYaml(envFile?.kind === 'write-file' ? envFile.content : '') as Record<
        string,
        string
      >;
      return Object.entries(environment).reduce(
        (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
        0,
      );
    };
    /** True when the env-vars file of `count` secrets is at most `limit - 300` bytes (a plan refused is over). */
    const fitsWithRoom = (count: number) => {
      try {
        return envFileBytes(withChat(count)) <= limit - 300;
      } catch {
        return false;
      }
    };
    let count = 150;
    while (fitsWithRoom(count + 1)) count += 1;
    const bytes = envFileBytes(withChat(count));
    expect(envFileBytes(withChat(count, 40))).toBe(bytes + 20);
    const longer = Math.ceil((limit - 30 - bytes) / 2);
    const tooBigWithTheSecret = withChat(count, 30 + longer);

    // Act
    const attempt = () => plan(tooBigWithTheSecret);

    // Assess: the env-vars file is under the limit; with the variable's name and its reference
    // (certctl-backup-guard-slack-signing-secret:latest) alone, let alone its value, it is over.
    const variable = Buffer.byteLength(`SLACK_SIGNING_SECRET${CHAT_SECRET_ID}:latest`);
    expect(bytes + 2 * longer).toBeLessThanOrEqual(limit);
    expect(bytes + 2 * longer + variable).toBeGreaterThan(limit);
    expect(attempt).toThrow(PolicyError);
    expect(attempt).toThrow(
      /certctl-chat-slack's environment would be \d+ bytes .*SLACK_SIGNING_SECRET.*over the 32 KiB \(32768 bytes\).*list fewer dump locations or inventory secrets/,
    );
  });

  it('refuses, before any step, a policy whose environment with the records exceeds the 32 KiB a function allows', () => {
    // Prepare: inventory secrets, each in the policy and in the record; 220 of them fit in the policy
    // alone, and the record is what takes the environment over.
    const secrets = (count: number) =>
      Array.from({ length: count }, (_, index) => `certctl-prod-1/certctl-secret-with-a-long-name-${index}`);
    const tooMany = listing([], secrets(220));

    // Act
    const attempt = () => plan(tooMany);

    // Assess: refused rather than recorded in part; 150 still deploy.
    expect(Buffer.byteLength(JSON.stringify(tooMany))).toBeLessThan(32 * 1024);
    expect(attempt).toThrow(PolicyError);
    expect(attempt).toThrow(/environment would be \d+ bytes .*over the 32 KiB/);
    expect(() => plan(listing([], secrets(150)))).not.toThrow();
  });
});

describe('planGcpDeployment: a run that fails part-way', () => {
  /** Every project, dump bucket and inventory secret {@link AFTER} adds is in this project. */
  const NEW_PROJECT = 'certctl-new-4';
  const chatops = { slack: { teams: ['T0CERTCTL'] }, permissions: { snapshot: ['U0OPERATOR'] } };
  const dumpA = { provider: 'gcp', bucket: 'certctl-dumps-a', project: 'certctl-prod-1', region: 'EU' };
  const secretCa = { kind: 'opaque', secret: 'projects/certctl-prod-1/secrets/certctl-ca' };
  /** Deployed, fully, before the run that fails; every function is deployed, so every account holds grants. */
  const BEFORE = parsePolicy({
    ...POLICY_INPUT,
    dumps: { locations: [dumpA] },
    keys: { preset: 'none', inspectSecretValues: true, items: { ca: secretCa } },
    chatops,
  });
  /** The run that fails: a project, a dump bucket and an inventory secret more. */
  const AFTER = parsePolicy({
    ...POLICY_INPUT,
    gcp: { ...POLICY_INPUT.gcp, projects: [...POLICY_INPUT.gcp.projects, NEW_PROJECT] },
    dumps: {
      locations: [
        dumpA,
        { provider: 'gcp', bucket: 'certctl-dumps-new', project: NEW_PROJECT, region: 'EU' },
      ],
    },
    keys: {
      preset: 'none',
      inspectSecretValues: true,
      items: {
        ca: secretCa,
        added: { kind: 'opaque', secret: `projects/${NEW_PROJECT}/secrets/certctl-new-secret` },
      },
    },
    chatops,
  });

  /**
   * A `gcloud` that keeps state in `dir`, in bash builtins only (the deployment calls it a hundred
   * times): the IAM bindings added and not removed since (bindings.txt, one `<resource> <member>
   * <role>` a line; removing one that is not there answers "not found", as gcloud does), and the
   * environment certctl-audit-pitr was last deployed with (record.yaml), which `functions describe`
   * reads back. Once a call contains the text in fail-after (after that call) or fail-on (that
   * call), every later call fails: the run is interrupted there.
   */
  function statefulGcloud(dir: string): string {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const script = `#!/usr/bin/env bash
state=${shellQuote(dir)}
printf '%s\\n' "$*" >> "$state/calls.log"
interrupted() { : > "$state/interrupted"; echo "ERROR: (gcloud) UNAVAILABLE: the connection was lost" >&2; exit 1; }
[[ -f "$state/interrupted" ]] && interrupted
if [[ -f "$state/fail-on" ]]; then read -r text < "$state/fail-on"; [[ "$*" == *"$text"* ]] && interrupted; fi
if [[ -f "$state/fail-after" ]]; then read -r text < "$state/fail-after"; [[ "$*" == *"$text"* ]] && : > "$state/interrupted"; fi
verb='' resource='' member='' role='' name='' envfile='' format='' previous=''
for argument in "$@"; do
  case "$argument" in
    --member=*) member="\${argument#--member=}" ;;
    --role=*) role="\${argument#--role=}" ;;
    --env-vars-file=*) envfile="\${argument#--env-vars-file=}" ;;
    --format=*) format="\${argument#--format=}" ;;
  esac
  case "$previous" in
    add-iam-policy-binding|remove-iam-policy-binding) verb="$previous"; resource="$argument" ;;
    deploy|describe) [[ -z "$name" ]] && name="$argument" ;;
  esac
  previous="$argument"
done
if [[ -n "$verb" ]]; then
  binding="$resource $member $role" found='' kept=()
  [[ -f "$state/bindings.txt" ]] && mapfile -t held < "$state/bindings.txt" || held=()
  for line in "\${held[@]}"; do if [[ "$line" == "$binding" ]]; then found=1; else kept+=("$line"); fi; done
  if [[ "$verb" == add-iam-policy-binding ]]; then
    [[ -n "$found" ]] || printf '%s\\n' "$binding" >> "$state/bindings.txt"
    exit 0
  fi
  [[ -n "$found" ]] || { echo "ERROR: Policy binding with the specified principal, role, and condition not found!" >&2; exit 1; }
  printf '%s\\n' "\${kept[@]}" > "$state/bindings.txt"
  exit 0
fi
if [[ "$1 $2 $name" == "functions deploy certctl-audit-pitr" ]]; then
  mapfile -t environment < "$envfile"; printf '%s\\n' "\${environment[@]}" > "$state/record.yaml"; exit 0
fi
if [[ "$1 $2" == "functions describe" && "$format" == "value(serviceConfig.environmentVariables."* ]]; then
  variable="\${format#value(serviceConfig.environmentVariables.}"; variable="\${variable%)}"
  [[ -f "$state/record.yaml" ]] || { echo "ERROR: (gcloud.functions.describe) NOT_FOUND: Resource 'certctl-audit-pitr' was not found" >&2; exit 1; }
  while IFS= read -r line; do [[ "$line" == "$variable: "* ]] && printf '%s\\n' "\${line#"$variable: "}"; done < "$state/record.yaml"
  exit 0
fi
if [[ "$1 $2" == "functions describe" ]]; then echo "https://$name.example"; exit 0; fi
if [[ "$format" == "value(uniqueId)" ]]; then echo 109876543210987654321; exit 0; fi
exit 0
`;
    writeFileSync(join(bin, 'gcloud'), script);
    chmodSync(join(bin, 'gcloud'), 0o755);
    return bin;
  }

  /**
   * The deployment of `policy`, without what grants nothing and records nothing, to keep the calls
   * few: the bundling (node infra/gcp/bundle.ts) and the create-or-update steps (accounts, custom
   * roles, the records bucket, the scheduler jobs).
   */
  const deployment = (policy: Policy) =>
    plan(policy).filter(
      (step) => step.kind !== 'ensure' && !(step.kind === 'run' && step.argv[0] === 'node'),
    );
  const readState = (dir: string, file: string) =>
    existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '';
  const bindings = (dir: string) => readState(dir, 'bindings.txt').split('\n').filter(Boolean).sort();
  /** The records' text: every project, `<project>/<bucket>` and `<project>/<secret>` recorded on the function. */
  const recorded = (dir: string) => {
    const environment = (parseYaml(readState(dir, 'record.yaml')) ?? {}) as Record<string, string>;
    return [BOUND_PROJECTS_ENV, BOUND_DUMP_BUCKETS_ENV, BOUND_SECRETS_ENV]
      .map((name) => environment[name])
      .join(',');
  };
  const deploy = (dir: string, policy: Policy) =>
    withPath(join(dir, 'bin'), () => runSteps(deployment(policy), { log: () => {}, stagingParent: dir }));
  /** The same through the printed --dry-run script; true when it ran to the end. */
  const deployByScript = (dir: string, policy: Policy) =>
    // On stdin: with the deployed lockfile, the script is longer than one argument may be.
    spawnSync('bash', ['-s'], {
      input: renderShellScript(deployment(policy)),
      env: { ...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
    }).status === 0;

  /** The state after a full deployment of {@link BEFORE}, which every case starts from. */
  let deployedBefore: { bindings: string; record: string };
  beforeAll(() => {
    const dir = scratch();
    statefulGcloud(dir);
    deploy(dir, BEFORE);
    deployedBefore = { bindings: readState(dir, 'bindings.txt'), record: readState(dir, 'record.yaml') };
  });

  for (const { interruption, file, text, grantsFirst, via } of [
    {
      // By then the new project's and the new bucket's grants are made too (grants come in function order).
      interruption: 'after its first grant on the new inventory secret',
      file: 'fail-after',
      text: `add-iam-policy-binding projects/${NEW_PROJECT}/secrets/certctl-new-secret`,
      grantsFirst: true,
      via: 'runSteps',
    },
    {
      interruption: 'after its first grant on the new inventory secret',
      file: 'fail-after',
      text: `add-iam-policy-binding projects/${NEW_PROJECT}/secrets/certctl-new-secret`,
      grantsFirst: true,
      via: 'the printed script',
    },
    {
      interruption: 'at the deploy that rewrites the records',
      file: 'fail-on',
      text: 'functions deploy certctl-audit-pitr',
      grantsFirst: false,
      via: 'runSteps',
    },
  ]) {
    it(`leaves no grant outside the records when a run (${via}) is interrupted ${interruption}, and the next run revokes what the policy dropped`, () => {
      // Prepare: BEFORE deployed.
      const dir = scratch();
      statefulGcloud(dir);
      writeFileSync(join(dir, 'bindings.txt'), deployedBefore.bindings);
      writeFileSync(join(dir, 'record.yaml'), deployedBefore.record);
      const heldByBefore = bindings(dir);

      // Act: a deployment of AFTER is interrupted; then the policy goes back to BEFORE and deploys.
      writeFileSync(join(dir, file), text);
      if (via === 'runSteps') expect(() => deploy(dir, AFTER)).toThrow(GcpDeployError);
      else expect(deployByScript(dir, AFTER)).toBe(false);
      const grantedByFailedRun = bindings(dir).filter((binding) => binding.includes(NEW_PROJECT));
      const recordedByFailedRun = recorded(dir);
      rmSync(join(dir, file));
      rmSync(join(dir, 'interrupted'));
      deploy(dir, BEFORE);

      // Assess: what the failed run granted was recorded before it was granted, and the next run
      // took all of it back.
      expect(heldByBefore.some((binding) => binding.includes(NEW_PROJECT))).toBe(false);
      if (grantsFirst) expect(grantedByFailedRun.length).toBeGreaterThan(0);
      if (grantedByFailedRun.length > 0) {
        expect(recordedByFailedRun.split(',')).toEqual(
          expect.arrayContaining([
            NEW_PROJECT,
            `${NEW_PROJECT}/certctl-dumps-new`,
            `${NEW_PROJECT}/certctl-new-secret`,
          ]),
        );
      }
      expect(bindings(dir)).toEqual(heldByBefore);
    });
  }
});
