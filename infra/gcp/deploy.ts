/**
 * Deploy (or tear down) the GCP side of certctl-backup-guard: the audit Cloud Functions, their
 * service accounts and roles, and the Cloud Scheduler jobs. The steps come from infra/gcp/plan.ts;
 * this file only parses arguments, loads the policy and runs (or, with --dry-run, prints) them.
 *
 *   npm run deploy:gcp -- --project my-project --region europe-west1 [--policy policy.yaml] [--dry-run]
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BackupGuardError, describeError, InputError, PolicyError } from '../../functions/core/errors.ts';
import { GCP_PROJECT } from '../../functions/core/gcp-project.ts';
import type { Policy } from '../../functions/core/policy.ts';
import { loadPolicyFile } from '../../functions/core/policy-file.ts';
import { POLICY_CONTEXT_KEY, readPolicyContext, validateDeployablePolicy } from '../policy-context.ts';
import { unsupportedNodeMessage } from './node-version.ts';
import {
  AUDITED_PROJECT,
  DEFAULT_FUNCTION_NAME,
  deployedPackage,
  type ForEachRecordedStep,
  fillPlaceholders,
  GCP_FUNCTIONS,
  GCP_REGION,
  type GcpStep,
  likelyGcpRegion,
  NOTHING_RECORDED,
  planGcpDeployment,
  planGcpTeardown,
  RESOURCE_NAME,
  RESOURCE_PROJECT,
  type RunStep,
  renderShellScript,
  STAGING_DIR,
  saysApiDisabled,
  saysNotFound,
} from './plan.ts';

/** The repository root (this file is infra/gcp/deploy.ts). */
const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** Exit codes, as the `backup-guard` CLI uses them: 2 is bad input (arguments or policy). */
export const DEPLOY_EXIT_CODES = { ok: 0, failed: 1, badInput: 2 } as const;

export const USAGE = `Usage: npm run deploy:gcp -- --project <id> --region <region> [options]
       (or: npx node infra/gcp/deploy.ts --project <id> --region <region> [options])

Deploys the certctl-backup-guard Cloud Functions (2nd gen, Node.js 24): the audits, HTTP,
internal-only and authenticated, each on its own Cloud Scheduler job with OIDC authentication:
audit-pitr (entry point auditPitr) always, audit-dumps (entry point auditDumps) when the policy has
Cloud Storage dump locations, audit-keys (entry point auditKeys) when its keys inventory names a
Secret Manager secret (each removed when the policy no longer has them); snapshot (entry point
snapshot, HTTP and authenticated) always, for snapshot and readiness requests, its job running the
maintenance scan; and with chatops.slack.teams, chat-slack (entry point chatSlack, public: Slack
signs each request) and chat-action (entry point chatAction, on the chat Pub/Sub topic). Each runs
as its own service account with only its own reads (custom roles in the audited projects, the dump
reader on each dump bucket only); the scheduler gets roles/run.invoker on each function, the build
roles/run.builder. Each deployment records on the function the projects, dump buckets and
inventory secrets it binds, before it grants anything on them, and revokes what the policy dropped
since the last one (without a record, it says it could not). Prints each runtime account's uniqueId for the AWS federation role
(gcp.federation.serviceAccountUniqueId takes one id or a list).

Options:
  --project <id>          project that hosts the function, its service accounts and the job (required)
  --region <region>       region of the function and the job, e.g. europe-west1 (required)
  --policy <file>         policy file (JSON or YAML); default: "${POLICY_CONTEXT_KEY}" in cdk.json
  --function-name <name>  the audit-pitr function; default: ${DEFAULT_FUNCTION_NAME} (the others are
                          certctl-<name>: certctl-audit-dumps, certctl-snapshot, ...)
  --time-zone <tz>        time zone of the schedule; default: Etc/UTC
  --destroy               tear everything down instead: every function and service account, every
                          binding the last deployment recorded (projects, dump buckets, inventory
                          secrets) and those of the policy's gcp.projects, dump buckets and
                          inventory secrets
  --dry-run               print every command as a bash script; run nothing, write nothing
  --help                  show this text

Exit codes: 0 done, 1 a step failed, 2 bad arguments or policy.`;

/** The command line, parsed. */
export interface DeployArguments {
  readonly project: string;
  readonly region: string;
  readonly policyFile: string | undefined;
  readonly functionName: string | undefined;
  readonly timeZone: string | undefined;
  readonly destroy: boolean;
  readonly dryRun: boolean;
}

/** A deployment step failed. */
export class GcpDeployError extends BackupGuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GcpDeployError';
  }
}

/** Parse and validate the command line; `undefined` means `--help`. Bad input is an {@link InputError}. */
export function parseDeployArguments(argv: readonly string[]): DeployArguments | undefined {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new InputError(`${describeError(error)}\n\n${USAGE}`, { cause: error });
  }
  if (values.help) return undefined;
  if (!values.project || !values.region) {
    const missing = [...(values.project ? [] : ['--project']), ...(values.region ? [] : ['--region'])];
    throw new InputError(
      `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} required\n\n${USAGE}`,
    );
  }
  if (!GCP_PROJECT.test(values.project)) {
    throw new InputError(
      `--project "${values.project}" is not a GCP project id (6-30 lower-case letters, digits and hyphens, starting with a letter)`,
    );
  }
  if (!GCP_REGION.test(values.region)) {
    const likely = likelyGcpRegion(values.region);
    throw new InputError(
      `--region "${values.region}" is not a GCP region such as europe-west1 or us-central1${likely ? `; did you mean ${likely}?` : ''}`,
    );
  }
  return {
    project: values.project,
    region: values.region,
    policyFile: values.policy,
    functionName: values['function-name'],
    timeZone: values['time-zone'],
    destroy: values.destroy ?? false,
    dryRun: values['dry-run'] ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      project: { type: 'string' },
      region: { type: 'string' },
      policy: { type: 'string' },
      'function-name': { type: 'string' },
      'time-zone': { type: 'string' },
      destroy: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
}

/** The policy from `--policy`, else from cdk.json context: the same policy both clouds deploy. */
export async function loadDeploymentPolicy(
  policyFile: string | undefined,
  repoRoot = REPO_ROOT,
): Promise<Policy> {
  if (policyFile) {
    const policy = await loadPolicyFile(policyFile);
    validateDeployablePolicy(policy, `policy file ${policyFile}`);
    return policy;
  }
  const cdkJson = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return readPolicyContext(cdkJson.context?.[POLICY_CONTEXT_KEY]);
}

/** The steps for parsed arguments and a policy. */
export function planFor(args: DeployArguments, policy: Policy, repoRoot = REPO_ROOT): GcpStep[] {
  const common = {
    project: args.project,
    region: args.region,
    policy,
    ...(args.functionName ? { functionName: args.functionName } : {}),
  };
  if (args.destroy) return planGcpTeardown(common);
  return planGcpDeployment({
    ...common,
    deployedPackage: deployedPackage(JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'))),
    ...(args.timeZone ? { timeZone: args.timeZone } : {}),
  });
}

interface Spawned {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command; stdout is captured when asked, stderr when a "not found" must be recognised. */
function spawn(
  argv: readonly string[],
  output: { captureStdout?: boolean; captureStderr?: boolean; quiet?: boolean } = {},
): Spawned {
  const [command, ...rest] = argv;
  const quiet = output.quiet ?? false;
  const result = spawnSync(command ?? '', rest, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: [
      'ignore',
      output.captureStdout ? 'pipe' : quiet ? 'ignore' : 'inherit',
      output.captureStderr ? 'pipe' : quiet ? 'ignore' : 'inherit',
    ],
  });
  if (result.error) {
    const hint =
      (result.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? ` (is ${command} installed and on PATH?)`
        : '';
    throw new GcpDeployError(`cannot run ${command}: ${describeError(result.error)}${hint}`, {
      cause: result.error,
    });
  }
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

/**
 * Run one command of a step. With `ifNotFound: 'skip'`, gcloud saying the resource is already gone
 * is a success with no output, and so, with `ifApiDisabled: 'skip'`, is gcloud saying its API is not
 * enabled in the project; any other failure throws, with gcloud's own message.
 */
function runCommand(
  description: string,
  argv: readonly string[],
  tolerance: Pick<RunStep, 'ifNotFound' | 'ifApiDisabled'>,
  captureStdout: boolean,
  log: (line: string) => void,
): string {
  const tolerant = tolerance.ifNotFound === 'skip' || tolerance.ifApiDisabled === 'skip';
  const result = spawn(argv, { captureStdout, captureStderr: tolerant });
  if (result.status === 0) return result.stdout;
  const lastLine = () => result.stderr.trim().split('\n').at(-1) ?? '';
  if (tolerance.ifNotFound === 'skip' && saysNotFound(result.stderr)) {
    log(`  already gone: ${lastLine()}`);
    return '';
  }
  if (tolerance.ifApiDisabled === 'skip' && saysApiDisabled(result.stderr)) {
    log(`  API not enabled, nothing to remove: ${result.stderr.trim().split('\n')[0] ?? ''}`);
    return '';
  }
  if (tolerant) process.stderr.write(result.stderr);
  throw new GcpDeployError(`"${description}" failed (exit ${result.status}); nothing after it ran`);
}

/** Where and how {@link runSteps} runs. */
export interface RunOptions {
  /** Progress lines. @default console.log */
  readonly log?: (line: string) => void;
  /** The parent of the private staging directory. @default os.tmpdir() */
  readonly stagingParent?: string;
}

/**
 * Run the steps in order, stopping at the first failure. Files are written into a private staging
 * directory created for this run (mkdtemp, mode 0700) with exclusive creation (`wx`: an existing
 * file or symlink is an error, never followed), and the directory is removed afterwards, also when a
 * step failed.
 */
export function runSteps(steps: readonly GcpStep[], options: RunOptions = {}): void {
  const log = options.log ?? console.log;
  const captured = new Map<string, string>();
  const fill = (argv: readonly string[]) => argv.map((argument) => fillPlaceholders(argument, captured));
  const stagingDir = mkdtempSync(join(options.stagingParent ?? tmpdir(), 'certctl-backup-guard-gcp-'));
  try {
    chmodSync(stagingDir, 0o700);
    captured.set(STAGING_DIR, stagingDir);
    for (const step of steps) runStep(step, captured, fill, log);
  } finally {
    rmSync(stagingDir, { recursive: true, force: true });
  }
}

function runStep(
  step: GcpStep,
  captured: Map<string, string>,
  fill: (argv: readonly string[]) => string[],
  log: (line: string) => void,
): void {
  switch (step.kind) {
    case 'write-file': {
      const path = fillPlaceholders(step.path, captured);
      log(`- ${step.description}: ${path}`);
      // Recursive is safe here: every path is a fixed name at most one directory below the fresh
      // mkdtemp staging directory (plan.ts; pinned by test/infra/gcp-deploy.test.ts), so no user
      // path (a /proc the CLI's --output-dir once hung on, cli/output.ts) can reach this call.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, step.content, { flag: 'wx', mode: 0o600 });
      break;
    }
    case 'run': {
      log(`- ${step.description}`);
      const stdout = runCommand(step.description, fill(step.argv), step, !!step.capture, log);
      if (step.capture) {
        const value = stdout.trim();
        if (!value && step.ifNotFound !== 'skip') {
          throw new GcpDeployError(`"${step.description}" printed nothing; cannot continue`);
        }
        captured.set(step.capture, value);
      }
      break;
    }
    case 'ensure': {
      log(`- ${step.description}`);
      const exists = spawn(fill(step.probe), { quiet: true }).status === 0;
      const argv = exists ? step.update : step.create;
      if (argv && spawn(fill(argv)).status !== 0) {
        throw new GcpDeployError(`"${step.description}" failed; nothing after it ran`);
      }
      break;
    }
    case 'for-each-project': {
      const listed = (captured.get(step.list) ?? '').split(',').map((project) => project.trim());
      const projects = [...new Set(listed.filter((project) => project && !step.skip.includes(project)))];
      log(`- ${step.description}: ${projects.length > 0 ? projects.join(', ') : 'none'}`);
      for (const project of projects) {
        if (!GCP_PROJECT.test(project)) {
          throw new GcpDeployError(
            `"${step.description}": "${project}" is not a GCP project id; nothing after it ran`,
          );
        }
        const argv = step.argv.map((argument) =>
          fillPlaceholders(argument, new Map([...captured, [AUDITED_PROJECT, project]])),
        );
        runCommand(`${step.description} (${project})`, argv, step, false, log);
      }
      break;
    }
    case 'for-each-recorded': {
      const targets = recordedTargets(step, captured.get(step.list) ?? '');
      const listed = targets.map(({ project, name }) =>
        step.per === 'project' ? project : `${project}/${name}`,
      );
      log(`- ${step.description}: ${listed.length > 0 ? listed.join(', ') : 'none'}`);
      for (const [index, { project, name }] of targets.entries()) {
        const values = new Map([...captured, [RESOURCE_PROJECT, project], [RESOURCE_NAME, name]]);
        const argv = step.argv.map((argument) => fillPlaceholders(argument, values));
        runCommand(`${step.description} (${listed[index]})`, argv, step, false, log);
      }
      break;
    }
    case 'note':
      if (step.ifEmpty && captured.get(step.ifEmpty)) break;
      log(fillPlaceholders(step.message, captured));
      break;
  }
}

/**
 * The entries of a per-resource record `value` a {@link ForEachRecordedStep} runs for: each
 * `<project>/<name>` the policy no longer lists, or with `per: 'project'` each distinct project of
 * them the policy no longer lists, in record order. Every entry is checked before anything runs: a
 * value that is not one (a record edited by hand) stops the run.
 */
function recordedTargets(step: ForEachRecordedStep, value: string): { project: string; name: string }[] {
  const pattern = new RegExp(step.entry);
  const targets = new Map<string, { project: string; name: string }>();
  for (const entry of value.split(',').map((part) => part.trim())) {
    if (!entry || entry === NOTHING_RECORDED) continue;
    const [, project, name] = pattern.exec(entry) ?? [];
    if (project === undefined || name === undefined) {
      throw new GcpDeployError(
        `"${step.description}": "${entry}" is not a recorded <project>/<name>; nothing after it ran`,
      );
    }
    const key = step.per === 'project' ? project : entry;
    if (!step.skip.includes(key) && !targets.has(key)) targets.set(key, { project, name });
  }
  return [...targets.values()];
}

/** The command: returns the process exit code ({@link DEPLOY_EXIT_CODES}). */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseDeployArguments(argv);
    if (!args) {
      console.log(USAGE);
      return DEPLOY_EXIT_CODES.ok;
    }
    const policy = await loadDeploymentPolicy(args.policyFile);
    const steps = planFor(args, policy);
    if (args.dryRun) {
      process.stdout.write(renderShellScript(steps));
      return DEPLOY_EXIT_CODES.ok;
    }
    if (!args.destroy) {
      for (const { handlerPath } of GCP_FUNCTIONS) {
        try {
          readFileSync(join(REPO_ROOT, handlerPath));
        } catch (error) {
          throw new GcpDeployError(`the GCP handler ${handlerPath} is missing; nothing was deployed`, {
            cause: error,
          });
        }
      }
    }
    runSteps(steps);
    return DEPLOY_EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof PolicyError || error instanceof InputError) {
      console.error(`certctl-backup-guard gcp deploy: ${error.message}`);
      return DEPLOY_EXIT_CODES.badInput;
    }
    if (error instanceof BackupGuardError) {
      console.error(`certctl-backup-guard gcp deploy: ${error.message}`);
      return DEPLOY_EXIT_CODES.failed;
    }
    throw error;
  }
}

// Before anything else runs: an older Node that can load this file at all (22.18+, 23.6+) would fail
// later with a stack trace, or skip `main` silently where `import.meta.main` does not exist.
const nodeProblem = unsupportedNodeMessage(process.versions.node);
if (nodeProblem) {
  console.error(nodeProblem);
  process.exit(DEPLOY_EXIT_CODES.badInput);
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
