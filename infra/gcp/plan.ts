/**
 * The GCP deployment as data: every step (files written, commands run) for the `audit-pitr` Cloud
 * Function, built by pure functions so tests can read exactly which commands and roles a deployment
 * uses, and `--dry-run` can print them as a shell script without running anything.
 *
 * What gets deployed:
 * - a runtime service account with `roles/cloudsql.viewer` on each audited project and nothing else
 *   (it reads Cloud SQL instance settings and backup runs; publishing to AWS uses keyless
 *   federation, not a GCP role);
 * - the Cloud Function, 2nd gen, Node.js 24, HTTP trigger, entry point `auditPitr`, internal-only
 *   ingress, no unauthenticated invocations, the policy in `BACKUP_GUARD_POLICY`;
 * - an invoker service account with `roles/run.invoker` on that function's service only;
 * - a Cloud Scheduler job that calls the function with an OIDC token (audience = the function URL)
 *   minted for the invoker account, on the policy's schedule converted to unix-cron.
 */
import { posix } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { PolicyError } from '../../functions/core/errors.ts';
import { POLICY_ENV, type Policy } from '../../functions/core/policy.ts';
import { parseAuditSchedule, toCloudSchedulerCron } from '../../functions/core/schedule.ts';
import { BUNDLE_FILE_NAME, FUNCTION_NODE_OPTIONS, functionBundleCliFlags } from '../bundling.ts';

/** The Functions Framework entry point the GCP handler registers. */
export const GCP_ENTRY_POINT = 'auditPitr';
/** The GCP handler, relative to the repository root. */
export const GCP_HANDLER_PATH = 'functions/handlers/gcp/audit-pitr.ts';
/** The only role the runtime service account gets, on each audited project. */
export const CLOUD_SQL_VIEWER_ROLE = 'roles/cloudsql.viewer';
/** The only role the scheduler's invoker account gets, on the function's service. */
export const RUN_INVOKER_ROLE = 'roles/run.invoker';
/** Variables a step captures and later steps use: `${NAME}` inside an argument. */
export const FUNCTION_URL = 'FUNCTION_URL';
export const SERVICE_ACCOUNT_UNIQUE_ID = 'SERVICE_ACCOUNT_UNIQUE_ID';

/** The APIs the deployment and the function use. */
export const REQUIRED_APIS = [
  'cloudfunctions.googleapis.com',
  'run.googleapis.com',
  'cloudbuild.googleapis.com',
  'artifactregistry.googleapis.com',
  'cloudscheduler.googleapis.com',
  'sqladmin.googleapis.com',
  'iam.googleapis.com',
] as const;

/**
 * The Functions Framework must stay outside the bundle: the runtime's own copy loads the code, and
 * a declarative `http('auditPitr', …)` registration only reaches the copy that loaded it.
 */
const FUNCTIONS_FRAMEWORK = '@google-cloud/functions-framework';

/** A file the deployment writes before it runs anything. */
export interface WriteFileStep {
  readonly kind: 'write-file';
  readonly description: string;
  readonly path: string;
  readonly content: string;
}

/** A command; `capture` stores its trimmed stdout under that name for later `${NAME}` arguments. */
export interface RunStep {
  readonly kind: 'run';
  readonly description: string;
  readonly argv: readonly string[];
  readonly capture?: string;
  /** Tear-down only: a resource that is already gone is not an error. */
  readonly allowFailure?: boolean;
}

/** Create-or-update: `probe` succeeds when the resource exists; then `update` (if any) runs, else `create`. */
export interface EnsureStep {
  readonly kind: 'ensure';
  readonly description: string;
  readonly probe: readonly string[];
  readonly create: readonly string[];
  readonly update?: readonly string[];
}

/** A message for the operator (`${NAME}` placeholders are filled in). */
export interface NoteStep {
  readonly kind: 'note';
  readonly message: string;
}

export type GcpStep = WriteFileStep | RunStep | EnsureStep | NoteStep;

export interface GcpDeploymentOptions {
  /** The project that hosts the function, its service accounts and the scheduler job. */
  readonly project: string;
  /** Region of the function and the scheduler job, e.g. europe-west1. */
  readonly region: string;
  /** The validated policy; `gcp.projects` are audited, the whole policy is the function's configuration. */
  readonly policy: Policy;
  /** Directory for the bundle and the environment file (`<dir>/source`, `<dir>/env.yaml`). */
  readonly stagingDir: string;
  /** @default 'certctl-audit-pitr' */
  readonly functionName?: string;
  /** Time zone of the scheduler job. @default 'Etc/UTC' (EventBridge schedules are UTC too) */
  readonly timeZone?: string;
  /** Runtime service account id. @default 'certctl-audit-pitr' */
  readonly serviceAccountId?: string;
  /** Scheduler invoker service account id. @default 'certctl-audit-pitr-invoker' */
  readonly invokerAccountId?: string;
  /** Functions Framework version range for the deployed package.json. @default '^5.0.5' */
  readonly functionsFrameworkVersion?: string;
  /** Function timeout in seconds. @default 300 */
  readonly timeoutSeconds?: number;
}

/** Names everything in the deployment is known by. */
export interface GcpDeploymentNames {
  readonly functionName: string;
  readonly jobName: string;
  readonly serviceAccountEmail: string;
  readonly invokerEmail: string;
}

const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const SERVICE_ACCOUNT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

function invalid(path: string, message: string): never {
  throw new PolicyError(`GCP deployment is invalid:\n  ${path}: ${message}`, [{ path, message }]);
}

/** The names a deployment with `options` uses (validated). */
export function deploymentNames(
  options: Omit<GcpDeploymentOptions, 'policy' | 'stagingDir'>,
): GcpDeploymentNames {
  const functionName = options.functionName ?? 'certctl-audit-pitr';
  if (!FUNCTION_NAME.test(functionName)) {
    invalid('--function-name', `"${functionName}" must be lower-case letters, digits and hyphens (2-63)`);
  }
  const serviceAccountId = options.serviceAccountId ?? 'certctl-audit-pitr';
  const invokerAccountId = options.invokerAccountId ?? 'certctl-audit-pitr-invoker';
  for (const id of [serviceAccountId, invokerAccountId]) {
    if (!SERVICE_ACCOUNT_ID.test(id))
      invalid('service account', `"${id}" is not a service account id (6-30 chars)`);
  }
  return {
    functionName,
    jobName: `${functionName}-schedule`,
    serviceAccountEmail: `${serviceAccountId}@${options.project}.iam.gserviceaccount.com`,
    invokerEmail: `${invokerAccountId}@${options.project}.iam.gserviceaccount.com`,
  };
}

/** The `package.json` deployed next to the bundle: only the Functions Framework is installed. */
export function deployedPackageJson(functionsFrameworkVersion: string): string {
  const manifest = {
    name: 'certctl-backup-guard-audit-pitr',
    private: true,
    type: 'module',
    main: BUNDLE_FILE_NAME,
    engines: { node: '>=24' },
    dependencies: { [FUNCTIONS_FRAMEWORK]: functionsFrameworkVersion },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Every step of a deployment, in order. Pure: nothing runs here. */
export function planGcpDeployment(options: GcpDeploymentOptions): GcpStep[] {
  const { project, region, policy, stagingDir } = options;
  const names = deploymentNames(options);
  if (policy.gcp.projects.length === 0) {
    invalid('gcp.projects', 'lists no project to audit; the function audits Cloud SQL in these projects');
  }
  const cron = toCloudSchedulerCron(parseAuditSchedule(policy.schedules.auditPitr));
  const timeZone = options.timeZone ?? 'Etc/UTC';
  const timeoutSeconds = options.timeoutSeconds ?? 300;
  const sourceDir = posix.join(stagingDir, 'source');
  const envFile = posix.join(stagingDir, 'env.yaml');
  const scope = [`--project=${project}`];
  const url = `\${${FUNCTION_URL}}`;

  const schedulerFlags = [
    `--location=${region}`,
    `--schedule=${cron}`,
    `--time-zone=${timeZone}`,
    `--uri=${url}`,
    '--http-method=POST',
    '--message-body={}',
    `--oidc-service-account-email=${names.invokerEmail}`,
    `--oidc-token-audience=${url}`,
    // The scheduler waits for the whole run, a little longer than the function may take.
    `--attempt-deadline=${timeoutSeconds + 30}s`,
    `--description=certctl-backup-guard audit-pitr (${policy.schedules.auditPitr})`,
  ];

  const steps: GcpStep[] = [
    {
      kind: 'write-file',
      description: 'package.json for the function: only the Functions Framework is installed',
      path: posix.join(sourceDir, 'package.json'),
      content: deployedPackageJson(options.functionsFrameworkVersion ?? '^5.0.5'),
    },
    {
      kind: 'write-file',
      description: 'environment of the function: the policy, validated',
      path: envFile,
      content: toYaml(
        { [POLICY_ENV]: JSON.stringify(policy), NODE_OPTIONS: FUNCTION_NODE_OPTIONS },
        // One line: the JSON must reach the function byte for byte, unfolded.
        { lineWidth: 0 },
      ),
    },
    {
      kind: 'run',
      description: 'bundle the GCP handler with esbuild (the Lambda settings: ESM, Node 24, minified)',
      argv: [
        'npx',
        'esbuild',
        GCP_HANDLER_PATH,
        ...functionBundleCliFlags(posix.join(sourceDir, BUNDLE_FILE_NAME), [FUNCTIONS_FRAMEWORK]),
      ],
    },
    {
      kind: 'run',
      description: 'enable the APIs the deployment and the function use',
      argv: ['gcloud', 'services', 'enable', ...REQUIRED_APIS, ...scope],
    },
    {
      kind: 'ensure',
      description: 'runtime service account of the function',
      probe: ['gcloud', 'iam', 'service-accounts', 'describe', names.serviceAccountEmail, ...scope],
      create: [
        'gcloud',
        'iam',
        'service-accounts',
        'create',
        names.serviceAccountEmail.split('@')[0] ?? '',
        ...scope,
        '--display-name=certctl-backup-guard audit-pitr',
        '--description=Runs the certctl-backup-guard PITR audit: reads Cloud SQL settings (roles/cloudsql.viewer)',
      ],
    },
    {
      kind: 'ensure',
      description: 'service account Cloud Scheduler uses to invoke the function',
      probe: ['gcloud', 'iam', 'service-accounts', 'describe', names.invokerEmail, ...scope],
      create: [
        'gcloud',
        'iam',
        'service-accounts',
        'create',
        names.invokerEmail.split('@')[0] ?? '',
        ...scope,
        '--display-name=certctl-backup-guard audit-pitr invoker',
        '--description=Cloud Scheduler calls the audit-pitr function as this account (roles/run.invoker on it only)',
      ],
    },
    {
      kind: 'run',
      description: 'numeric unique id of the runtime service account (the AWS federation role pins it)',
      argv: [
        'gcloud',
        'iam',
        'service-accounts',
        'describe',
        names.serviceAccountEmail,
        ...scope,
        '--format=value(uniqueId)',
      ],
      capture: SERVICE_ACCOUNT_UNIQUE_ID,
    },
    ...policy.gcp.projects.map(
      (audited): RunStep => ({
        kind: 'run',
        description: `let the function read Cloud SQL settings in ${audited}`,
        argv: [
          'gcloud',
          'projects',
          'add-iam-policy-binding',
          audited,
          `--member=serviceAccount:${names.serviceAccountEmail}`,
          `--role=${CLOUD_SQL_VIEWER_ROLE}`,
          '--condition=None',
          '--quiet',
        ],
      }),
    ),
    {
      kind: 'run',
      description: 'deploy the function (2nd gen, Node.js 24, HTTP, internal-only, authenticated)',
      argv: [
        'gcloud',
        'functions',
        'deploy',
        names.functionName,
        '--gen2',
        ...scope,
        `--region=${region}`,
        '--runtime=nodejs24',
        `--source=${sourceDir}`,
        `--entry-point=${GCP_ENTRY_POINT}`,
        '--trigger-http',
        '--no-allow-unauthenticated',
        '--ingress-settings=internal-only',
        `--service-account=${names.serviceAccountEmail}`,
        `--env-vars-file=${envFile}`,
        '--memory=256Mi',
        `--timeout=${timeoutSeconds}s`,
        // One audit at a time: overlapping runs would only repeat the same API calls.
        '--max-instances=1',
        '--quiet',
      ],
    },
    {
      kind: 'run',
      description: 'URL of the function (the scheduler calls it and uses it as the OIDC audience)',
      argv: [
        'gcloud',
        'functions',
        'describe',
        names.functionName,
        '--gen2',
        ...scope,
        `--region=${region}`,
        '--format=value(serviceConfig.uri)',
      ],
      capture: FUNCTION_URL,
    },
    {
      kind: 'run',
      description: 'let the invoker account call this function, and nothing else',
      argv: [
        'gcloud',
        'run',
        'services',
        'add-iam-policy-binding',
        names.functionName,
        ...scope,
        `--region=${region}`,
        `--member=serviceAccount:${names.invokerEmail}`,
        `--role=${RUN_INVOKER_ROLE}`,
        '--quiet',
      ],
    },
    {
      kind: 'ensure',
      description: `Cloud Scheduler job (${cron} ${timeZone}) with OIDC authentication`,
      probe: ['gcloud', 'scheduler', 'jobs', 'describe', names.jobName, ...scope, `--location=${region}`],
      create: [
        'gcloud',
        'scheduler',
        'jobs',
        'create',
        'http',
        names.jobName,
        ...scope,
        ...schedulerFlags,
        '--headers=Content-Type=application/json',
      ],
      update: [
        'gcloud',
        'scheduler',
        'jobs',
        'update',
        'http',
        names.jobName,
        ...scope,
        ...schedulerFlags,
        '--update-headers=Content-Type=application/json',
      ],
    },
    {
      kind: 'note',
      message: federationNote(policy),
    },
  ];
  return steps;
}

function federationNote(policy: Policy): string {
  const id = `\${${SERVICE_ACCOUNT_UNIQUE_ID}}`;
  const federation = policy.gcp.federation;
  if (!federation) {
    return `Service account uniqueId: ${id}. To publish Cloud SQL findings to Security Hub, set gcp.federation {roleArn, audience, serviceAccountUniqueId: "${id}"} and securityHub.centralAccountId in the policy, deploy CertctlBackupGuardFederation, then run this script again.`;
  }
  return `Service account uniqueId: ${id}. The AWS federation role trusts serviceAccountUniqueId ${federation.serviceAccountUniqueId}; if they differ, set it to ${id} in the policy, redeploy CertctlBackupGuardFederation and run this script again.`;
}

/** Every step of a tear-down; each tolerates a resource that is already gone. */
export function planGcpTeardown(
  options: Omit<GcpDeploymentOptions, 'stagingDir' | 'timeZone' | 'timeoutSeconds'>,
): GcpStep[] {
  const { project, region, policy } = options;
  const names = deploymentNames(options);
  const scope = [`--project=${project}`];
  const step = (description: string, argv: string[]): RunStep => ({
    kind: 'run',
    description,
    argv,
    allowFailure: true,
  });
  return [
    step('delete the scheduler job', [
      'gcloud',
      'scheduler',
      'jobs',
      'delete',
      names.jobName,
      ...scope,
      `--location=${region}`,
      '--quiet',
    ]),
    step('delete the function', [
      'gcloud',
      'functions',
      'delete',
      names.functionName,
      '--gen2',
      ...scope,
      `--region=${region}`,
      '--quiet',
    ]),
    ...policy.gcp.projects.map((audited) =>
      step(`remove Cloud SQL read access in ${audited}`, [
        'gcloud',
        'projects',
        'remove-iam-policy-binding',
        audited,
        `--member=serviceAccount:${names.serviceAccountEmail}`,
        `--role=${CLOUD_SQL_VIEWER_ROLE}`,
        '--condition=None',
        '--quiet',
      ]),
    ),
    step('delete the runtime service account', [
      'gcloud',
      'iam',
      'service-accounts',
      'delete',
      names.serviceAccountEmail,
      ...scope,
      '--quiet',
    ]),
    step('delete the invoker service account', [
      'gcloud',
      'iam',
      'service-accounts',
      'delete',
      names.invokerEmail,
      ...scope,
      '--quiet',
    ]),
  ];
}

const PLACEHOLDER = /\$\{([A-Z_]+)\}/g;
const HAS_PLACEHOLDER = /\$\{[A-Z_]+\}/;

/** Quote one argument for bash; `${NAME}` placeholders stay expandable. */
export function shellQuote(argument: string): string {
  if (/^[\w@%+=:,./-]+$/.test(argument)) return argument;
  if (HAS_PLACEHOLDER.test(argument)) {
    const parts = argument.split(PLACEHOLDER);
    // split() with a capture group alternates literal text and placeholder names.
    const body = parts
      .map((part, index) => (index % 2 === 1 ? `\${${part}}` : part.replace(/(["\\$`])/g, '\\$1')))
      .join('');
    return `"${body}"`;
  }
  return `'${argument.replaceAll("'", "'\\''")}'`;
}

function commandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** The plan as a bash script: what `--dry-run` prints. Running it would do what the script does. */
export function renderShellScript(steps: readonly GcpStep[]): string {
  const lines = ['#!/usr/bin/env bash', 'set -euo pipefail', ''];
  for (const step of steps) {
    switch (step.kind) {
      case 'write-file':
        lines.push(`# ${step.description}`, `mkdir -p ${shellQuote(posix.dirname(step.path))}`);
        lines.push(
          `cat > ${shellQuote(step.path)} <<'BACKUP_GUARD_EOF'`,
          step.content.replace(/\n$/, ''),
          'BACKUP_GUARD_EOF',
        );
        break;
      case 'run': {
        lines.push(`# ${step.description}`);
        const command = commandLine(step.argv) + (step.allowFailure ? ' || true' : '');
        lines.push(step.capture ? `${step.capture}="$(${command})"` : command);
        break;
      }
      case 'ensure':
        lines.push(`# ${step.description}`);
        lines.push(`if ${commandLine(step.probe)} >/dev/null 2>&1; then`);
        lines.push(step.update ? `  ${commandLine(step.update)}` : '  : # already exists');
        lines.push('else', `  ${commandLine(step.create)}`, 'fi');
        break;
      case 'note':
        lines.push(`echo ${shellQuote(step.message)}`);
        break;
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Replace `${NAME}` placeholders with captured values; an unknown name is a bug in the plan. */
export function fillPlaceholders(text: string, values: ReadonlyMap<string, string>): string {
  return text.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`step uses \${${name}} before any step captured it`);
    return value;
  });
}
