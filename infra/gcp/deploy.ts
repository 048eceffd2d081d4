/**
 * Deploy (or tear down) the GCP side of certctl-backup-guard: the `audit-pitr` Cloud Function, its
 * service accounts and roles, and the Cloud Scheduler job. The steps come from infra/gcp/plan.ts;
 * this file only parses arguments, loads the policy and runs (or, with --dry-run, prints) them.
 *
 *   node infra/gcp/deploy.ts --project my-project --region europe-west1 [--policy policy.yaml] [--dry-run]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BackupGuardError, describeError, PolicyError } from '../../functions/core/errors.ts';
import { loadPolicyFile, type Policy } from '../../functions/core/policy.ts';
import { POLICY_CONTEXT_KEY, readPolicyContext, validateDeployablePolicy } from '../policy-context.ts';
import {
  fillPlaceholders,
  GCP_HANDLER_PATH,
  type GcpStep,
  planGcpDeployment,
  planGcpTeardown,
  renderShellScript,
} from './plan.ts';

/** The repository root (this file is infra/gcp/deploy.ts). */
const REPO_ROOT = join(import.meta.dirname, '..', '..');

export const USAGE = `Usage: node infra/gcp/deploy.ts --project <id> --region <region> [options]

Deploys the certctl-backup-guard audit-pitr Cloud Function (2nd gen, Node.js 24, HTTP,
internal-only, authenticated), its service accounts (roles/cloudsql.viewer on each audited
project; roles/run.invoker on the function for the scheduler) and a Cloud Scheduler job with
OIDC authentication. Prints the runtime service account's uniqueId for the AWS federation role.

Options:
  --project <id>          project that hosts the function, its service accounts and the job (required)
  --region <region>       region of the function and the job, e.g. europe-west1 (required)
  --policy <file>         policy file (JSON or YAML); default: "${POLICY_CONTEXT_KEY}" in cdk.json
  --function-name <name>  default: certctl-audit-pitr
  --time-zone <tz>        time zone of the schedule; default: Etc/UTC
  --staging-dir <dir>     where the bundle is built; default: <tmp>/certctl-backup-guard-gcp
  --destroy               tear everything down instead (the audited projects' bindings too)
  --dry-run               print every command as a bash script; run nothing, write nothing
  --help                  show this text`;

/** The command line, parsed. */
export interface DeployArguments {
  readonly project: string;
  readonly region: string;
  readonly policyFile: string | undefined;
  readonly functionName: string | undefined;
  readonly timeZone: string | undefined;
  readonly stagingDir: string;
  readonly destroy: boolean;
  readonly dryRun: boolean;
}

/** A deployment step failed, or the command line is wrong. */
export class GcpDeployError extends BackupGuardError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GcpDeployError';
  }
}

/** Parse the command line; `undefined` means `--help`. */
export function parseDeployArguments(argv: readonly string[]): DeployArguments | undefined {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new GcpDeployError(`${describeError(error)}\n\n${USAGE}`, { cause: error });
  }
  if (values.help) return undefined;
  if (!values.project || !values.region) {
    throw new GcpDeployError(`--project and --region are required\n\n${USAGE}`);
  }
  return {
    project: values.project,
    region: values.region,
    policyFile: values.policy,
    functionName: values['function-name'],
    timeZone: values['time-zone'],
    stagingDir: values['staging-dir'] ?? join(tmpdir(), 'certctl-backup-guard-gcp'),
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
      'staging-dir': { type: 'string' },
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

function functionsFrameworkVersion(repoRoot: string): string {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  return manifest.dependencies?.['@google-cloud/functions-framework'] ?? '^5.0.5';
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
    stagingDir: args.stagingDir,
    functionsFrameworkVersion: functionsFrameworkVersion(repoRoot),
    ...(args.timeZone ? { timeZone: args.timeZone } : {}),
  });
}

function spawn(argv: readonly string[], capture: boolean, quiet = false) {
  const [command, ...rest] = argv;
  const result = spawnSync(command ?? '', rest, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', capture ? 'pipe' : quiet ? 'ignore' : 'inherit', quiet ? 'ignore' : 'inherit'],
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
  return result;
}

/** Run the steps in order, stopping at the first failure (tear-down steps tolerate "not found"). */
export function runSteps(steps: readonly GcpStep[], log: (line: string) => void = console.log): void {
  const captured = new Map<string, string>();
  const fill = (argv: readonly string[]) => argv.map((argument) => fillPlaceholders(argument, captured));
  for (const step of steps) {
    switch (step.kind) {
      case 'write-file':
        log(`- ${step.description}: ${step.path}`);
        mkdirSync(dirname(step.path), { recursive: true });
        writeFileSync(step.path, step.content);
        break;
      case 'run': {
        log(`- ${step.description}`);
        const result = spawn(fill(step.argv), step.capture !== undefined);
        if (result.status !== 0 && !step.allowFailure) {
          throw new GcpDeployError(
            `"${step.description}" failed (exit ${result.status}); nothing after it ran`,
          );
        }
        if (step.capture) {
          const value = (result.stdout ?? '').trim();
          if (!value) throw new GcpDeployError(`"${step.description}" printed nothing; cannot continue`);
          captured.set(step.capture, value);
        }
        break;
      }
      case 'ensure': {
        log(`- ${step.description}`);
        const exists = spawn(fill(step.probe), false, true).status === 0;
        const argv = exists ? step.update : step.create;
        if (argv && spawn(fill(argv), false).status !== 0) {
          throw new GcpDeployError(`"${step.description}" failed; nothing after it ran`);
        }
        break;
      }
      case 'note':
        log(fillPlaceholders(step.message, captured));
        break;
    }
  }
}

/** The command: returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const args = parseDeployArguments(argv);
    if (!args) {
      console.log(USAGE);
      return 0;
    }
    const policy = await loadDeploymentPolicy(args.policyFile);
    const steps = planFor(args, policy);
    if (args.dryRun) {
      process.stdout.write(renderShellScript(steps));
      return 0;
    }
    if (!args.destroy) {
      try {
        readFileSync(join(REPO_ROOT, GCP_HANDLER_PATH));
      } catch (error) {
        throw new GcpDeployError(`the GCP handler ${GCP_HANDLER_PATH} is missing; nothing was deployed`, {
          cause: error,
        });
      }
      // A clean staging directory: a stale bundle must never be uploaded.
      rmSync(join(args.stagingDir, 'source'), { recursive: true, force: true });
    }
    runSteps(steps);
    return 0;
  } catch (error) {
    if (error instanceof PolicyError || error instanceof GcpDeployError) {
      console.error(`certctl-backup-guard gcp deploy: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2));
