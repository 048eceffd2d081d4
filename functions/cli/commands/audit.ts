/**
 * `backup-guard audit`: check every input (arguments, policy, output targets, AWS profile) before
 * any work, run the one audit job, narrow the report for display, render each requested format.
 * Progress goes to stderr so stdout stays clean for `--format json`.
 */

import { awsCollectors } from '../../aws/collectors.ts';
import { type AuditProgress, type AuditReport, EXIT_CODES } from '../../core/audit.ts';
import { describeError, InputError } from '../../core/errors.ts';
import { SEVERITIES, type Severity } from '../../core/finding.ts';
import type { Policy } from '../../core/policy.ts';
import { gcpCollectors } from '../../gcp/collectors.ts';
import { runAuditJob } from '../../jobs/audit.ts';
import { checkGroup, checkGroups } from '../../jobs/groups.ts';
import type { PublicationOutcome } from '../../jobs/publish.ts';
import { renderConsole } from '../../publish/console.ts';
import { renderCsv } from '../../publish/csv.ts';
import { filterReport } from '../../publish/filter.ts';
import { renderHtml } from '../../publish/html.ts';
import { renderJson } from '../../publish/json.ts';
import { renderMarkdown } from '../../publish/markdown.ts';
import { planPublication, publishTargetFrom } from '../../publish/security-hub/index.ts';
import { summarize, type ViewedReport } from '../../publish/summary.ts';
import { visibleLine } from '../../publish/terminal.ts';
import { colorWanted, didYouMean, parseCommandArgs, splitList } from '../args.ts';
import {
  ENDPOINT_OPTIONS,
  gcpClientsOfEveryGroup,
  loadCliPolicy,
  openClouds,
  PROVIDERS,
  type ProviderChoice,
  parseWhereArgs,
  projectsOf,
  type WhereInput,
  whereFor,
  whereOptions,
} from '../clouds.ts';
import type { CliCommand, CliIo, CliOverrides } from '../command.ts';
import { checkOutputDir, checkOutputFile, prepareOutputDir, reportPath, writeReport } from '../output.ts';

export const FORMATS = ['table', 'json', 'markdown', 'html', 'csv', 'asff'] as const;
export type Format = (typeof FORMATS)[number];
export { PROVIDERS, type ProviderChoice };

/** File extension of each format under `--output-dir`. */
const EXTENSIONS: Record<Format, string> = {
  table: 'txt',
  json: 'json',
  markdown: 'md',
  html: 'html',
  csv: 'csv',
  asff: 'asff.json',
};
/** What `--output-dir` writes when no `--format` is given. */
const OUTPUT_DIR_DEFAULT: readonly Format[] = ['json', 'csv', 'markdown', 'html'];

/** Every check id of every registered group, in catalog order, with its severity. */
function knownChecks(): {
  id: string;
  group: string;
  severity: Severity;
  /** Whether the policy runs it (`pitr.cross-region` only with `requireCrossRegionBackup`). */
  enabledBy: (policy: Policy) => boolean;
  enabledBySetting: string | undefined;
}[] {
  return checkGroups().flatMap((group) =>
    group.checks.map((check) => ({
      id: check.metadata.id,
      group: group.name,
      severity: check.metadata.severity,
      enabledBy: (policy: Policy) => check.enabledBy?.(policy) ?? true,
      enabledBySetting: check.enabledBySetting,
    })),
  );
}

interface Selection {
  /** The ids of the checks the filters select, whether or not the policy runs them. */
  readonly selected: readonly string[];
  /** Groups the run reads; undefined means every group. */
  readonly groups: string[] | undefined;
  readonly checks: Set<string> | undefined;
  readonly excludeChecks: Set<string> | undefined;
  readonly severities: Set<Severity> | undefined;
}

/** Resolve `--group`, `--check`, `--exclude-check` and `--severity` against the registry. */
function resolveSelection(values: Record<string, unknown>): Selection {
  const checks = knownChecks();
  const groupNames = checkGroups().map((group) => group.name);
  const ids = checks.map((check) => check.id);
  const resolve = (flag: string, words: string[]): { ids: Set<string>; groups: Set<string> } => {
    const selectedIds = new Set<string>();
    const selectedGroups = new Set<string>();
    for (const word of words) {
      if (groupNames.includes(word)) {
        selectedGroups.add(word);
        for (const check of checks) if (check.group === word) selectedIds.add(check.id);
      } else if (ids.includes(word)) {
        selectedIds.add(word);
      } else {
        throw new InputError(
          `${flag} '${word}' is neither a check id nor a check group.${didYouMean(word, [...ids, ...groupNames])} ` +
            `Run 'backup-guard checks' for the ids; the groups are ${groupNames.join(', ')}.`,
        );
      }
    }
    return { ids: selectedIds, groups: selectedGroups };
  };
  const groupWords = splitList(values.group);
  for (const word of groupWords ?? []) {
    if (!groupNames.includes(word)) {
      throw new InputError(
        `--group '${word}' is not a check group.${didYouMean(word, groupNames)} The groups are ${groupNames.join(', ')}.`,
      );
    }
  }
  const include = values.check === undefined ? undefined : resolve('--check', splitList(values.check) ?? []);
  const exclude =
    values['exclude-check'] === undefined
      ? undefined
      : resolve('--exclude-check', splitList(values['exclude-check']) ?? []);
  // Groups narrow the run itself (the runner reads only their scopes); check ids narrow the report.
  let groups: string[] | undefined = groupWords;
  if (include) {
    const needed = new Set(checks.filter((check) => include.ids.has(check.id)).map((check) => check.group));
    groups = (groups ?? groupNames).filter((name) => needed.has(name));
  }
  if (exclude && exclude.groups.size > 0) {
    groups = (groups ?? groupNames).filter((name) => !exclude.groups.has(name));
  }
  if (groups !== undefined && groups.length === 0) {
    throw new InputError('--group, --check and --exclude-check together leave no check to run');
  }
  const severityWords = splitList(values.severity)?.map((word) => word.toUpperCase());
  for (const word of severityWords ?? []) {
    if (!(SEVERITIES as readonly string[]).includes(word)) {
      throw new InputError(
        `--severity '${word.toLowerCase()}' is not a severity.${didYouMean(
          word.toLowerCase(),
          SEVERITIES.map((s) => s.toLowerCase()),
        )} Use ${SEVERITIES.map((s) => s.toLowerCase()).join(', ')}.`,
      );
    }
  }
  const severities = severityWords ? new Set(severityWords as Severity[]) : undefined;
  // Filters that leave no check would report nothing and exit 0, "every check passed", on nothing.
  // The groups count too: `--group dumps --severity critical` runs only dumps checks, none CRITICAL.
  const selected = checks.filter(
    (check) =>
      (groups?.includes(check.group) ?? true) &&
      (include?.ids.has(check.id) ?? true) &&
      !exclude?.ids.has(check.id) &&
      (severities?.has(check.severity) ?? true),
  );
  if (selected.length === 0) {
    throw new InputError(
      "--group, --check, --exclude-check and --severity together select no check, so nothing would be reported; 'backup-guard checks' lists each check's group and severity",
    );
  }
  return {
    selected: selected.map((check) => check.id),
    groups,
    checks: include?.ids,
    excludeChecks: exclude?.ids,
    severities,
  };
}

/**
 * Refuse filters whose every check the policy turns off: the run would report nothing and exit 0,
 * "every check passed", on nothing (`--check pitr.cross-region` without requireCrossRegionBackup).
 */
function refuseChecksTurnedOff(selection: Selection, policy: Policy): void {
  const selected = knownChecks().filter((check) => selection.selected.includes(check.id));
  if (selected.some((check) => check.enabledBy(policy))) return;
  const why = selected
    .map((check) => `${check.id} runs only with ${check.enabledBySetting ?? 'a policy setting'}`)
    .join('; ');
  throw new InputError(
    `--group, --check, --exclude-check and --severity select only checks the policy turns off (${why}), so nothing would be reported; turn them on in the policy or select other checks`,
  );
}

interface AuditArgs {
  readonly where: WhereInput;
  readonly formats: Format[];
  readonly output: string | undefined;
  readonly outputDir: string | undefined;
  readonly quiet: boolean;
  readonly publish: boolean;
  readonly failedOnly: boolean;
  readonly noColor: boolean;
  readonly selection: Selection;
}

function parseAuditArgs(args: readonly string[]): AuditArgs {
  const { values } = parseCommandArgs(auditCommand, args);
  const formatWords = splitList(values.format);
  const outputDir = values['output-dir'] as string | undefined;
  const output = values.output as string | undefined;
  if (output !== undefined && outputDir !== undefined) {
    throw new InputError('--output writes one file and --output-dir one file per format: use one of them');
  }
  const formats = formatWords ?? (outputDir !== undefined ? [...OUTPUT_DIR_DEFAULT] : ['table']);
  for (const format of formats) {
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new InputError(
        `--format must be one of ${FORMATS.join(', ')}; got '${format}'.${didYouMean(format, FORMATS)}`,
      );
    }
  }
  if (formats.length > 1 && outputDir === undefined) {
    throw new InputError(
      `--format ${formats.join(',')} asks for ${formats.length} reports: add --output-dir DIR to write one file per format`,
    );
  }
  const where = parseWhereArgs(values);
  return {
    where,
    formats: [...new Set(formats)] as Format[],
    output,
    outputDir,
    quiet: values.quiet === true,
    publish: values.publish === true,
    failedOnly: values['failed-only'] === true,
    noColor: values['no-color'] === true,
    selection: resolveSelection(values),
  };
}

/** `database` / `databases`, `secret` / `secrets`: what a group's facts are, as its definition names them. */
function resourceNoun(group: string, count: number): string {
  const [singular, plural] = checkGroup(group)?.resources ?? ['resource', 'resources'];
  return count === 1 ? singular : plural;
}

/** `[2/6] aws:111111111111/eu-west-1 pitr: 3 databases`: one scope done, as stderr shows it. */
export function progressLine({ outcome, done, total }: AuditProgress): string {
  const { scope } = outcome;
  const what =
    outcome.status === 'complete'
      ? `${outcome.resources} ${resourceNoun(scope.group, outcome.resources)}`
      : `NOT EVALUATED: ${visibleLine(outcome.error?.message ?? 'unknown error')}`;
  return `[${done}/${total}] ${scope.provider}:${visibleLine(scope.account)}/${visibleLine(scope.region)} ${scope.group}: ${what}\n`;
}

function progressPrinter(io: CliIo): (progress: AuditProgress) => void {
  return (progress) => io.stderr(progressLine(progress));
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

export interface RenderOptions {
  readonly color?: boolean;
  readonly columns?: number;
}

export function render(
  report: ViewedReport,
  format: Format,
  policy: Policy,
  homeRegion: string | undefined,
  options: RenderOptions = {},
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
    case 'csv':
      return renderCsv(report);
    case 'table':
      return renderConsole(report, {
        color: options.color ?? false,
        ...(options.columns ? { columns: options.columns } : {}),
        checkOrder: knownChecks().map((check) => check.id),
      });
  }
}

/** `Security Hub: 12 created, 0 updated, …; 3 import calls` and the findings that did not land. */
export function describePublication(outcome: Exclude<PublicationOutcome, { status: 'disabled' }>): string {
  if (outcome.status === 'error') {
    return `Security Hub: nothing imported (${outcome.failedCount} findings): ${visibleLine(outcome.error.message)} (${visibleLine(outcome.error.code)})`;
  }
  const { counts } = outcome;
  const lines = [
    `Security Hub: ${counts.created} created, ${counts.updated} updated, ${counts.resolved} resolved, ` +
      `${counts.archived} archived (resource gone), ` +
      `${counts.retired} archived (check turned off by the policy, check or group no longer in the catalog, or region no longer in aws.regions), ` +
      `${counts.refreshed} refreshed, ` +
      `${counts.keptAlive} kept alive in failed scopes (not re-evaluated), ` +
      `${counts.unchanged} unchanged, ` +
      `${counts.untouched} left untouched (scope not evaluated, check not run here, or coverage in doubt), ${counts.failed} failed — ` +
      `${outcome.calls.batchImport} import call${outcome.calls.batchImport === 1 ? '' : 's'}, ${outcome.calls.getFindings} read call${outcome.calls.getFindings === 1 ? '' : 's'}`,
  ];
  for (const failure of outcome.failures) {
    // Ids, codes and messages come back from Security Hub: shown, never run (publish/terminal.ts).
    const [id, account, region, code, message] = [
      failure.id,
      failure.account,
      failure.region,
      failure.code,
      failure.message,
    ].map(visibleLine);
    lines.push(`  not imported: ${id} into ${account}/${region}: ${code} ${message}`);
  }
  if (outcome.failedCount > outcome.failures.length) {
    lines.push(`  … and ${outcome.failedCount - outcome.failures.length} more not imported`);
  }
  for (const failure of outcome.unread) {
    const [account, region, code, message] = [
      failure.account,
      failure.region,
      failure.code,
      failure.message,
    ].map(visibleLine);
    lines.push(`  not read: ${account}/${region}: ${code} ${message}`);
  }
  if (outcome.unreadCount > outcome.unread.length) {
    lines.push(`  … and ${outcome.unreadCount - outcome.unread.length} more not read`);
  }
  // Found only through an import ledger (publisher.ts unauditedDestinations), so not by this
  // command's own runs today; said whenever a publication reports them, since nothing else will.
  const unaudited = outcome.unaudited ?? [];
  if (unaudited.length > 0) {
    lines.push(
      `  ${unaudited.length} region${unaudited.length === 1 ? '' : 's'} no longer in aws.regions still hold${unaudited.length === 1 ? 's' : ''} active findings this run may not archive (not a failure of this run):`,
    );
  }
  for (const region of unaudited) {
    // Where they are comes from the import ledger: shown, never run.
    const [account, name, groups, retire] = [
      region.account,
      region.region,
      region.groups.join(', '),
      region.retire,
    ].map(visibleLine);
    lines.push(
      `  not archived: ${account}/${name}: ${region.findings} finding${region.findings === 1 ? '' : 's'} (${region.failed} FAILED; groups ${groups}): ${retire}`,
    );
  }
  return lines.join('\n');
}

async function runAudit(args: readonly string[], io: CliIo, overrides: CliOverrides): Promise<number> {
  // Everything the user typed is checked before the first API call.
  const options = parseAuditArgs(args);
  if (options.output !== undefined) await checkOutputFile(options.output);
  if (options.outputDir !== undefined) await checkOutputDir(options.outputDir);
  const policy = await loadCliPolicy(options.where.policyFile, io.env);
  const where = whereFor(options.where, policy);
  refuseChecksTurnedOff(options.selection, policy);
  projectsOf(where, policy, 'audit');
  if (options.publish && where.providers.includes('gcp') && !policy.securityHub.centralAccountId) {
    // Found otherwise once the whole audit ran, and then no finding at all is imported, AWS's too.
    throw new InputError(
      "--publish sends GCP findings to Security Hub in securityHub.centralAccountId (Security Hub takes findings only for the account that imports them), which the policy does not set: set it (and securityHub.centralRegion), or publish AWS's alone with --provider aws",
    );
  }
  const auditAws = where.providers.includes('aws');
  const auditGcp = where.providers.includes('gcp');
  // AWS credentials are needed to audit AWS and to publish (GCP findings land in Security Hub too).
  const clouds = await openClouds(policy, where, io, overrides, {
    aws: auditAws || options.publish,
    gcp: auditGcp,
  });
  const { homeRegion } = clouds;
  const onProgress = options.quiet ? undefined : progressPrinter(io);
  try {
    if (options.outputDir !== undefined) await prepareOutputDir(options.outputDir);
    const factory = clouds.aws?.factory;
    const outcome = await runAuditJob(
      {
        providers: where.providers,
        ...(options.selection.groups ? { groups: options.selection.groups } : {}),
        ...(where.regions ? { regions: where.regions } : {}),
        ...(where.projects ? { projects: where.projects } : {}),
        publish: options.publish,
      },
      {
        policy,
        ...(factory && auditAws ? { aws: { factory, collectors: awsCollectors, homeRegion } } : {}),
        ...(clouds.gcp
          ? { gcp: { clients: gcpClientsOfEveryGroup(clouds.gcp, overrides), collectors: gcpCollectors } }
          : {}),
        ...(factory
          ? { publisher: { factory: () => factory, accounts: policy.aws.accounts, homeRegion } }
          : {}),
        ...(onProgress ? { onProgress } : {}),
      },
    );
    // Said on stderr too: a warning in a report file alone is read by nobody until it is opened.
    for (const warning of outcome.report.unusedExceptions ?? []) {
      io.stderr(`backup-guard: warning: ${visibleLine(warning)}\n`);
    }
    const severities = new Map(knownChecks().map((check) => [check.id, check.severity]));
    const view = filterReport(outcome.report, {
      ...(options.selection.checks ? { checks: options.selection.checks } : {}),
      ...(options.selection.excludeChecks ? { excludeChecks: options.selection.excludeChecks } : {}),
      ...(options.selection.severities ? { severities: options.selection.severities } : {}),
      failedOnly: options.failedOnly,
      severityOf: (checkId) => severities.get(checkId),
    });
    const written = await writeReports(view, options, policy, homeRegion, io);
    if (outcome.publication.status !== 'disabled') io.stderr(`${describePublication(outcome.publication)}\n`);
    // The verdict of what the filters selected, as the reports say it: the coverage of the whole run
    // and a publication that did not land (the report's notImported) still count.
    const viewExit = summarize(view).exitCode;
    return Math.max(viewExit, written ? EXIT_CODES.ok : EXIT_CODES.incomplete);
  } finally {
    await clouds.close();
  }
}

/**
 * Render and write every requested report. A file that cannot be written after all is printed to
 * stdout instead, so the audit is never lost, and a report that cannot be rendered leaves the others
 * written; returns false when either happened.
 */
async function writeReports(
  view: ViewedReport,
  options: AuditArgs,
  policy: Policy,
  homeRegion: string | undefined,
  io: CliIo,
): Promise<boolean> {
  const toStdout = options.output === undefined && options.outputDir === undefined;
  const color = toStdout && colorWanted(io, options.noColor);
  let ok = true;
  for (const format of options.formats) {
    let text: string;
    try {
      text = render(view, format, policy, homeRegion, {
        color,
        ...(toStdout && io.columns ? { columns: io.columns } : {}),
      });
    } catch (error) {
      // One report that cannot be made (asff for GCP findings with no central account) must not
      // cost the others, nor the publication's summary after them: the run exits 2 and says why.
      ok = false;
      io.stderr(`backup-guard: could not render the ${format} report: ${describeError(error)}\n`);
      continue;
    }
    const file =
      options.output ??
      (options.outputDir !== undefined ? reportPath(options.outputDir, EXTENSIONS[format]) : undefined);
    if (file === undefined) {
      io.stdout(text);
      continue;
    }
    const result = await writeReport(file, text);
    if (result.ok) {
      if (!options.quiet) io.stderr(`Report written to ${file}\n`);
    } else {
      ok = false;
      io.stderr(
        `backup-guard: could not write ${file} (${result.error}); the ${format} report follows on stdout\n`,
      );
      io.stdout(text);
    }
  }
  return ok;
}

export const auditCommand: CliCommand = {
  name: 'audit',
  summary:
    'Audit the backups certctl restores from (point-in-time recovery, pg_dump series, key material) and print one finding per check and resource',
  options: {
    ...whereOptions({
      provider: 'Which cloud to audit',
      region: 'Audit only this AWS region',
      project: 'Audit this GCP project (Cloud SQL, and the dump buckets and secrets the policy places there)',
    }),
    group: {
      type: 'string',
      multiple: true,
      value: 'GROUP',
      help: `Run only this check group (${checkGroups()
        .map((group) => group.name)
        .join(', ')}); repeat or comma-separate for several`,
    },
    check: {
      type: 'string',
      multiple: true,
      value: 'ID|GROUP',
      help: "Report only these checks (ids as 'backup-guard checks' lists them, or group names); repeat or comma-separate",
    },
    'exclude-check': {
      type: 'string',
      multiple: true,
      value: 'ID|GROUP',
      help: 'Leave these checks out of the report (a group name leaves the group out of the run); repeat or comma-separate',
    },
    severity: {
      type: 'string',
      multiple: true,
      value: 'LEVEL',
      help: `Report only checks of these severities (${SEVERITIES.map((s) => s.toLowerCase()).join(', ')}); repeat or comma-separate`,
    },
    'failed-only': {
      type: 'boolean',
      help: 'Show only findings that did not pass (passes are still counted in the summary, which says how many were hidden; a database shown keeps its restore window and lag)',
    },
    format: {
      type: 'string',
      multiple: true,
      value: 'FORMAT',
      help: `${FORMATS.join(', ')} (default: table). html is one self-contained page with each database's restore window; asff is the Security Hub findings this run would import. Several (repeat or comma-separate) need --output-dir`,
    },
    output: {
      type: 'string',
      value: 'FILE',
      help: 'Write the report to FILE instead of stdout (checked before the audit runs)',
    },
    'output-dir': {
      type: 'string',
      value: 'DIR',
      help: `Write backup-guard-audit.<ext> in DIR for each --format (default: ${OUTPUT_DIR_DEFAULT.join(', ')}); DIR is created if missing`,
    },
    publish: {
      type: 'boolean',
      help: 'Publish the findings to AWS Security Hub (scope-safe: only scopes this run fully evaluated may resolve or archive earlier findings). Filters narrow the report, never what is published. GCP findings go to securityHub.centralAccountId, which a run reading GCP then needs',
    },
    ...ENDPOINT_OPTIONS,
    'no-color': {
      type: 'boolean',
      help: 'No colours in the table, whatever FORCE_COLOR says (without it: FORCE_COLOR forces them on, FORCE_COLOR 0 or false turns them off, else NO_COLOR turns them off)',
    },
    quiet: { type: 'boolean', help: 'No progress on stderr' },
  },
  details: `Filters (--check, --exclude-check, --severity) narrow the report and its exit code to the checks
they select, but a region or account that could not be read, or a database the policy names that was
not found, still exits 2 whatever they select; a run with --failed-only exits as it would without it.
Filters that together select no check of the groups the run reads, or only checks the policy turns off
(pitr.cross-region without pitr.requireCrossRegionBackup, keys.content without
keys.inspectSecretValues), are refused (exit 2).

Exit codes:
  0  no open failure: every check passed, warned, or failed under an active policy exception
     (accepted risk, listed apart)
  1  at least one check failed that no active policy exception accepts
  2  the audit could not complete (a region or account could not be read, a check could not be
     evaluated, a check group judged nothing, even beside others that judged theirs, or a
     database the policy names was not found), or
     the input was bad (policy, arguments, credentials, output path); the verdict says which

Examples:
  npx backup-guard audit --policy examples/minimal.yaml --region eu-west-1
  npx backup-guard audit --policy examples/minimal.yaml --format json > audit.json
  npx backup-guard audit --policy examples/minimal.yaml --severity critical,high --failed-only
  npx backup-guard audit --policy examples/gcp.yaml --output-dir reports
`,
  run: runAudit,
};
