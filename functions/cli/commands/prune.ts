/** `backup-guard prune`: report (default) or delete expired pre-maintenance snapshots of ours. */
import { renderPrune, runPruneJob } from '../../jobs/prune.ts';
import type { CliCommand } from '../command.ts';
import { openWhere, parseCommandArgs, WHERE_HELP } from './snapshot-options.ts';

export const PRUNE_HELP = `Usage: backup-guard prune [--apply] [options]

List the pre-maintenance snapshots this tool made (by tag) and which may go: only past their
expiry, never the newest successful one of a target. Deletes nothing unless --apply is given.

  --dry-run               Only report (the default)
  --apply                 Delete what may go
${WHERE_HELP}
Exit codes: 0 done, 1 a delete failed, 2 a scope could not be read or bad input.
`;

export const pruneCommand: CliCommand = {
  name: 'prune',
  summary: 'List (default) or delete expired pre-maintenance snapshots made by this tool',
  async run(args, io, overrides) {
    const values = parseCommandArgs('prune', args, {
      apply: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(PRUNE_HELP);
      return 0;
    }
    const where = await openWhere(values, io, overrides);
    try {
      const result = await runPruneJob(
        { apply: values.apply === true && values['dry-run'] !== true },
        {
          policy: where.policy,
          providers: where.providers,
          ...(where.aws ? { aws: where.aws } : {}),
          ...(where.gcp ? { gcp: where.gcp } : {}),
          ...(where.regions ? { regions: where.regions } : {}),
        },
      );
      io.stdout(where.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderPrune(result));
      if (result.problems.length > 0) return 2;
      return result.applied && result.pending > 0 ? 1 : 0;
    } finally {
      await where.close();
    }
  },
};
