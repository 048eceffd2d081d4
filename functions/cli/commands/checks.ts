/** `backup-guard checks`: the check catalog, as a table or as JSON for tooling. */
import { EXIT_CODES } from '../../core/audit.ts';
import { InputError } from '../../core/errors.ts';
import { checkGroups } from '../../jobs/groups.ts';
import { didYouMean, parseCommandArgs, splitList } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';

const FORMATS = ['table', 'json'] as const;

/** Version of the JSON catalog's shape; raised on a breaking change, as the audit report's. */
export const CATALOG_SCHEMA_VERSION = 1;

async function runChecks(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(checksCommand, args);
  const format = (values.format as string | undefined) ?? 'table';
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new InputError(
      `--format must be one of ${FORMATS.join(', ')}; got '${format}'.${didYouMean(format, FORMATS)}`,
    );
  }
  const names = checkGroups().map((group) => group.name);
  const wanted = splitList(values.group);
  for (const name of wanted ?? []) {
    if (!names.includes(name)) {
      throw new InputError(
        `--group '${name}' is not a check group.${didYouMean(name, names)} The groups are ${names.join(', ')}.`,
      );
    }
  }
  const groups = checkGroups().filter((group) => wanted === undefined || wanted.includes(group.name));
  const checks = groups.flatMap((group) => group.checks.map((check) => check.metadata));
  if (format === 'json') {
    io.stdout(
      `${JSON.stringify(
        {
          schemaVersion: CATALOG_SCHEMA_VERSION,
          groups: groups.map((group) => ({ name: group.name, summary: group.summary })),
          checks: checks.map((metadata) => ({
            id: metadata.id,
            group: metadata.group,
            severity: metadata.severity,
            title: metadata.title,
            rationale: metadata.rationale,
            remediation: metadata.remediation,
            resourceTypes: metadata.resourceTypes,
          })),
        },
        null,
        2,
      )}\n`,
    );
    return EXIT_CODES.ok;
  }
  const idWidth = Math.max(2, ...checks.map((metadata) => metadata.id.length)) + 2;
  io.stdout(`${'ID'.padEnd(idWidth)}${'SEVERITY'.padEnd(10)}TITLE\n`);
  for (const metadata of checks) {
    io.stdout(`${metadata.id.padEnd(idWidth)}${metadata.severity.padEnd(10)}${metadata.title}\n`);
    io.stdout(`${' '.repeat(idWidth + 10)}${metadata.remediation.url}\n`);
  }
  return EXIT_CODES.ok;
}

export const checksCommand: CliCommand = {
  name: 'checks',
  summary: 'List the checks: id, severity, title and documentation link',
  options: {
    format: { type: 'string', value: 'FORMAT', help: 'table (default) or json' },
    group: {
      type: 'string',
      multiple: true,
      value: 'GROUP',
      help: 'Only the checks of this group; repeat or comma-separate for several',
    },
  },
  details: `Exit codes:
  0  the catalog was printed
  2  the input was bad (an unknown --format or --group)

Examples:
  npx backup-guard checks
  npx backup-guard checks --group pitr --format json
`,
  run: runChecks,
};
