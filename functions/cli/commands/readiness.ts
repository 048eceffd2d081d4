/** `backup-guard readiness`: go/no-go before a CA rotation. Exit 0 GO, 1 NO-GO, 2 could not evaluate. */
import { renderReadiness, runReadinessJob } from '../../jobs/readiness.ts';
import type { CliCommand } from '../command.ts';
import { openWhere, parseCommandArgs, WHERE_HELP } from './snapshot-options.ts';

export const READINESS_HELP = `Usage: backup-guard readiness [options]

Is it safe to rotate the CA? GO only when every target passes every installed audit (PITR, and
key material and dumps once installed) and has a successful pre-maintenance snapshot younger than
snapshots.readinessMaxAgeHours. Each gate is printed with its evidence and, if not GO, what to do.

${WHERE_HELP}
Exit codes: 0 GO, 1 NO-GO, 2 could not evaluate (a region, project or check could not be read).
`;

export const readinessCommand: CliCommand = {
  name: 'readiness',
  summary: 'Go/no-go before a CA rotation: audits green and a fresh snapshot for every target',
  async run(args, io, overrides) {
    const values = parseCommandArgs('readiness', args, {});
    if (values.help) {
      io.stdout(READINESS_HELP);
      return 0;
    }
    const where = await openWhere(values, io, overrides);
    try {
      const result = await runReadinessJob(
        { providers: where.providers, ...(where.regions ? { regions: where.regions } : {}) },
        {
          policy: where.policy,
          ...(where.aws ? { aws: where.aws } : {}),
          ...(where.gcp ? { gcp: where.gcp, gcpSnapshots: where.gcp } : {}),
        },
      );
      io.stdout(where.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderReadiness(result));
      return result.exitCode;
    } finally {
      await where.close();
    }
  },
};
