/**
 * The `backup-guard` command. Parses arguments, loads the policy, runs one core call, renders the
 * answer. Progress goes to stderr so stdout stays clean for `--format json`.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AwsClientFactory } from '../aws/clients.ts';
import { allChecks } from '../checks/index.ts';
import { type AuditProgress, type AuditReport, EXIT_CODES } from '../core/audit.ts';
import { BackupGuardError, CredentialsError, InputError, PolicyError } from '../core/errors.ts';
import { loadPolicyFile, loadPolicyFromEnv, POLICY_ENV, type Policy } from '../core/policy.ts';
import { CLOUD_SQL_ENDPOINT_ENV, GcpClientFactory } from '../gcp/clients.ts';
import { runAuditJob } from '../jobs/audit.ts';
import type { PublicationOutcome } from '../jobs/publish.ts';
import { renderConsole } from '../publish/console.ts';
import { renderHtml } from '../publish/html.ts';
import { renderJson } from '../publish/json.ts';
import { renderMarkdown } from '../publish/markdown.ts';
import { planPublication, publishTargetFrom } from '../publish/security-hub/index.ts';
import type { CliCommand, CliIo, CliOverrides } from './command.ts';
import { pruneCommand } from './commands/prune.ts';
import { readinessCommand } from './commands/readiness.ts';
import { snapshotCommand } from './commands/snapshot.ts';

export const VERSION = '0.1.0';

export type { CliCommand, CliIo, CliOverrides } from './command.ts';

export const FORMATS = ['table', 'json', 'markdown', 'html', 'asff'] as const;
export type Format = (typeof FORMATS)[number];
export const PROVIDERS = ['aws', 'gcp', 'all'] as const;
export type ProviderChoice = (typeof PROVIDERS)[number];

export const HELP = `Usage: backup-guard <command> [options]

Prove that the managed PostgreSQL behind certctl can be restored.

Commands:
  audit     Audit point-in-time recovery (RDS, Aurora, Cloud SQL) and print one finding per check
            and database
  checks    List the checks: id, severity, title and documentation link
  snapshot  Take tagged pre-maintenance snapshots and wait until they are restorable
  prune     List (default) or delete expired pre-maintenance snapshots made by this tool
  readiness Go/no-go before a CA rotation (exit 0 GO, 1 NO-GO, 2 could not evaluate)
  help      Show this help

Options for audit:
  --policy FILE           Policy file, JSON or YAML (default: $${POLICY_ENV} as JSON, else all defaults:
                          30 days PITR, 15 min restore lag, targets tagged certctl:backup-guard=enabled,
                          every enabled region)
  --provider aws|gcp|all  Which cloud to audit (default: aws)
  --region REGION         Audit only this AWS region; repeat or comma-separate for several
  --project PROJECT       Audit this GCP project's Cloud SQL (default: gcp.projects of the policy);
                          repeat or comma-separate for several
  --format FORMAT         table (default), json, markdown, html (one self-contained page with each
                          database's restore window), or asff (the Security Hub findings this
                          run would import, for review without a hub)
  --output FILE           Write the report to FILE instead of stdout
  --publish               Publish the findings to AWS Security Hub (scope-safe: only scopes this
                          run fully evaluated may resolve or archive earlier findings)
  --endpoint-url URL      Send every AWS API call to URL (for the bundled simulator)
  --gcp-endpoint-url URL  Send Cloud SQL Admin calls to URL, unauthenticated (for the simulator;
                          also $BACKUP_GUARD_CLOUDSQL_ENDPOINT)
  --quiet                 No progress on stderr
  -h, --help              Show this help
  -v, --version           Show the version

Exit codes:
  0  every check passed (warnings allowed)
  1  at least one check failed
  2  the audit could not complete (a region or account could not be read, a check could not be
     evaluated), it judged no database at all, a database the policy names was not found, or the
     input was bad (policy, arguments, credentials)

AWS credentials come from the SDK's default chain (environment, AWS_PROFILE / SSO, container or
instance role); member accounts listed in the policy are read through their roles. GCP uses
Application Default Credentials (gcloud auth application-default login).
Try it without a cloud: npm run demo
`;

interface AuditArgs {
  readonly policyFile: string | undefined;
  readonly provider: ProviderChoice;
  readonly regions: string[] | undefined;
  readonly format: Format;
  readonly output: string | undefined;
  readonly endpointUrl: string | undefined;
  readonly projects: string[] | undefined;
  readonly gcpEndpointUrl: string | undefined;
  readonly quiet: boolean;
  readonly publish: boolean;
}

/** Repeated and comma-separated values of one option, trimmed; undefined when the option is absent. */
function splitList(values: readonly string[] | undefined): string[] | undefined {
  return values
    ?.flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter(Boolean);
}

function parseAuditArgs(args: readonly string[]): AuditArgs {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof AUDIT_OPTIONS; allowPositionals: false }>>;
  try {
    parsed = parseArgs({ args: [...args], options: AUDIT_OPTIONS, allowPositionals: false, strict: true });
  } catch (error) {
    throw new InputError(`${(error as Error).message}. Run 'backup-guard --help' for the options.`, {
      cause: error,
    });
  }
  const { values } = parsed;
  const format = values.format ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new InputError(`--format must be one of ${FORMATS.join(', ')}; got '${format}'`);
  }
  const provider = values.provider ?? 'aws';
  if (!(PROVIDERS as readonly string[]).includes(provider)) {
    throw new InputError(`--provider must be one of ${PROVIDERS.join(', ')}; got '${provider}'`);
  }
  const regions = splitList(values.region);
  if (values.region && regions?.length === 0)
    throw new InputError('--region needs a region name, e.g. eu-west-1');
  for (const flag of ['endpoint-url', 'gcp-endpoint-url'] as const) {
    const value = values[flag];
    if (value !== undefined && !URL.canParse(value)) {
      throw new InputError(`--${flag} must be a URL such as http://127.0.0.1:4566; got '${value}'`);
    }
  }
  const projects = splitList(values.project);
  if (values.project && projects?.length === 0) throw new InputError('--project needs a GCP project id');
  return {
    policyFile: values.policy,
    provider: provider as ProviderChoice,
    regions,
    format: format as Format,
    output: values.output,
    endpointUrl: values['endpoint-url'],
    projects,
    gcpEndpointUrl: values['gcp-endpoint-url'],
    quiet: values.quiet ?? false,
    publish: values.publish ?? false,
  };
}

const AUDIT_OPTIONS = {
  policy: { type: 'string' },
  provider: { type: 'string' },
  region: { type: 'string', multiple: true },
  format: { type: 'string' },
  output: { type: 'string' },
  'endpoint-url': { type: 'string' },
  project: { type: 'string', multiple: true },
  'gcp-endpoint-url': { type: 'string' },
  quiet: { type: 'boolean' },
  publish: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function loadPolicy(file: string | undefined, env: NodeJS.ProcessEnv): Promise<Policy> {
  return file ? loadPolicyFile(file) : loadPolicyFromEnv(env);
}

/**
 * The caller's AWS credentials: the SDK's default chain, resolved once up front so "no
 * credentials" is one clear message, then handed on as the provider itself so SSO and
 * assumed-role sessions refresh during a long audit (the chain memoizes until expiry).
 */
async function resolveAwsCredentials(
  overrides: CliOverrides,
): Promise<AwsCredentialIdentity | AwsCredentialIdentityProvider> {
  if (overrides.awsCredentials) return overrides.awsCredentials;
  const provider = fromNodeProviderChain();
  try {
    await provider();
  } catch (error) {
    throw new CredentialsError(
      'No AWS credentials found (looked at the environment, AWS_PROFILE and SSO, the shared config files, and container or instance roles). ' +
        "Sign in (e.g. 'aws sso login --profile P' then AWS_PROFILE=P), or run 'npm run demo' to see the audit against the bundled simulator.",
      { cause: error },
    );
  }
  return provider;
}

function progressPrinter(io: CliIo): (progress: AuditProgress) => void {
  return ({ outcome, done, total }) => {
    const { scope } = outcome;
    const what =
      outcome.status === 'complete'
        ? `${outcome.resources} database${outcome.resources === 1 ? '' : 's'}`
        : `NOT EVALUATED: ${outcome.error?.message ?? 'unknown error'}`;
    io.stderr(
      `[${done}/${total}] ${scope.provider}:${scope.account}/${scope.region} ${scope.group}: ${what}\n`,
    );
  };
}

/** The ASFF findings a run would import into an empty hub: every finding as a `create`. */
export function renderAsff(report: AuditReport, policy: Policy, homeRegion: string | undefined): string {
  const plan = planPublication({
    report,
    policy,
    now: new Date(report.finishedAt),
    target: publishTargetFrom(policy, homeRegion),
  });
  return `${JSON.stringify({ Findings: plan.imports.map((entry) => entry.finding) }, null, 2)}\n`;
}

export function render(
  report: AuditReport,
  format: Format,
  color: boolean,
  policy: Policy,
  homeRegion: string | undefined,
): string {
  switch (format) {
    case 'asff':
      return renderAsff(report, policy, homeRegion);
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
    case 'table':
      return renderConsole(report, { color });
  }
}

async function runAuditCommand(args: readonly string[], io: CliIo, overrides: CliOverrides): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(HELP);
    return EXIT_CODES.ok;
  }
  const options = parseAuditArgs(args);
  const policy = await loadPolicy(options.policyFile, io.env);
  const auditAws = options.provider !== 'gcp';
  const auditGcp = options.provider !== 'aws';
  const projects = options.projects ?? policy.gcp.projects;
  if (auditGcp && projects.length === 0) {
    throw new InputError(
      'no GCP project to audit: pass --project PROJECT or list them in the policy (gcp.projects)',
    );
  }
  if (!auditGcp && options.projects) {
    throw new InputError('--project needs --provider gcp or --provider all');
  }
  if (!auditAws && options.regions) {
    throw new InputError('--region selects AWS regions; with --provider gcp choose projects with --project');
  }
  const onProgress = options.quiet ? undefined : progressPrinter(io);
  const homeRegion = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  // AWS credentials are needed to audit AWS and to publish (GCP findings land in Security Hub too).
  const factory =
    auditAws || options.publish
      ? new AwsClientFactory({
          maxAttempts: policy.aws.maxAttempts,
          credentials: await resolveAwsCredentials(overrides),
          ...(options.endpointUrl ? { endpoint: options.endpointUrl } : {}),
          ...(homeRegion ? { stsRegion: homeRegion } : {}),
        })
      : undefined;
  const gcpEndpoint = options.gcpEndpointUrl ?? io.env[CLOUD_SQL_ENDPOINT_ENV];
  const gcp = auditGcp ? new GcpClientFactory(gcpEndpoint ? { endpoint: gcpEndpoint } : {}) : undefined;
  try {
    const providers = [...(auditAws ? (['aws'] as const) : []), ...(auditGcp ? (['gcp'] as const) : [])];
    const outcome = await runAuditJob(
      {
        providers,
        ...(options.regions ? { regions: options.regions } : {}),
        ...(options.projects ? { projects: options.projects } : {}),
        publish: options.publish,
      },
      {
        policy,
        ...(factory ? { aws: { factory, homeRegion } } : {}),
        ...(gcp ? { gcp } : {}),
        ...(factory
          ? { publisher: { factory: () => factory, accounts: policy.aws.accounts, homeRegion } }
          : {}),
        ...(onProgress ? { onProgress } : {}),
      },
    );
    const text = render(
      outcome.report,
      options.format,
      options.output === undefined && (io.color ?? false),
      policy,
      homeRegion,
    );
    if (options.output) {
      await writeFile(options.output, text);
      if (!options.quiet) io.stderr(`Report written to ${options.output}\n`);
    } else {
      io.stdout(text);
    }
    if (outcome.publication.status !== 'disabled') io.stderr(`${describePublication(outcome.publication)}\n`);
    return outcome.exitCode;
  } finally {
    factory?.destroy();
    await gcp?.close();
  }
}

/** `Security Hub: 12 created, 0 updated, …; 3 import calls` and the findings that did not land. */
export function describePublication(outcome: Exclude<PublicationOutcome, { status: 'disabled' }>): string {
  if (outcome.status === 'error') {
    return `Security Hub: nothing imported (${outcome.failedCount} findings): ${outcome.error.message} (${outcome.error.code})`;
  }
  const { counts } = outcome;
  const lines = [
    `Security Hub: ${counts.created} created, ${counts.updated} updated, ${counts.resolved} resolved, ` +
      `${counts.archived} archived, ${counts.refreshed} refreshed, ${counts.unchanged} unchanged, ` +
      `${counts.untouched} left untouched (scope not evaluated or coverage in doubt), ${counts.failed} failed — ` +
      `${outcome.calls.batchImport} import call${outcome.calls.batchImport === 1 ? '' : 's'}, ${outcome.calls.getFindings} read call${outcome.calls.getFindings === 1 ? '' : 's'}`,
  ];
  for (const failure of outcome.failures) {
    lines.push(
      `  not imported: ${failure.id} into ${failure.account}/${failure.region}: ${failure.code} ${failure.message}`,
    );
  }
  if (outcome.failedCount > outcome.failures.length) {
    lines.push(`  … and ${outcome.failedCount - outcome.failures.length} more not imported`);
  }
  return lines.join('\n');
}

function runChecksCommand(io: CliIo): number {
  for (const check of allChecks) {
    const { metadata } = check;
    io.stdout(`${metadata.id.padEnd(26)} ${metadata.severity.padEnd(8)} ${metadata.title}\n`);
    io.stdout(`${' '.repeat(36)}${metadata.remediation.url}\n`);
  }
  return EXIT_CODES.ok;
}

/** Every command, in the order the help lists them; a new command is one line here. */
export const COMMANDS: readonly CliCommand[] = [
  {
    name: 'audit',
    summary: 'Audit point-in-time recovery and print one finding per check and database',
    run: runAuditCommand,
  },
  {
    name: 'checks',
    summary: 'List the checks: id, severity, title and documentation link',
    run: async (_args, io) => runChecksCommand(io),
  },
  snapshotCommand,
  pruneCommand,
  readinessCommand,
];

/** Run the CLI; returns the exit code. Never throws for user errors: it prints them. */
export async function runCli(
  argv: readonly string[],
  io: CliIo,
  overrides: CliOverrides = {},
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(HELP);
        return command === undefined ? EXIT_CODES.incomplete : EXIT_CODES.ok;
      case '--version':
      case '-v':
        io.stdout(`${VERSION}\n`);
        return EXIT_CODES.ok;
      default: {
        const found = COMMANDS.find((candidate) => candidate.name === command);
        if (!found) {
          const names = [...COMMANDS.map((candidate) => candidate.name), 'help'];
          throw new InputError(`unknown command '${command}'. Commands: ${names.join(', ')}.`);
        }
        return await found.run(rest, io, overrides);
      }
    }
  } catch (error) {
    if (error instanceof PolicyError || error instanceof InputError || error instanceof CredentialsError) {
      io.stderr(`backup-guard: ${error.message}\n`);
      return EXIT_CODES.incomplete;
    }
    if (error instanceof BackupGuardError) {
      io.stderr(`backup-guard: ${error.message}\n`);
      return EXIT_CODES.incomplete;
    }
    io.stderr(`backup-guard: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT_CODES.incomplete;
  }
}
