/**
 * `backup-guard snapshot`: take a pre-maintenance snapshot of every target (or those named with
 * --target), tagged with the reason, ticket and who asked, and wait until each is restorable.
 * The same ticket re-run returns the first result (idempotency table) or adopts the snapshots it
 * made (their names derive from the request id), so nothing is taken twice.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { InputError } from '../../core/errors.ts';
import { idempotentByRequestId } from '../../jobs/idempotency.ts';
import {
  runSnapshotJob,
  type SnapshotJobDependencies,
  type SnapshotJobResult,
  type SnapshotRequest,
  snapshotExitCode,
} from '../../jobs/snapshot.ts';
import type { CliCommand } from '../command.ts';
import { openWhere, parseCommandArgs, WHERE_HELP } from './snapshot-options.ts';

export const SNAPSHOT_HELP = `Usage: backup-guard snapshot --reason TEXT [--ticket ID] [--target NAME]... [options]

Take a manual snapshot (RDS, Aurora) or on-demand backup (Cloud SQL) of every target before
destructive maintenance, tagged with purpose, reason, ticket, requester, request id and expiry.

  --reason TEXT           Why (required): "CA rotation"
  --ticket ID             Change ticket; also the request id, so a re-run with it takes nothing twice
  --request-id ID         Request id (default: the ticket, else a new one)
  --target NAME           Only this target (identifier or ARN); repeat for several
  --wait / --no-wait      Wait until every snapshot is available (default: wait)
${WHERE_HELP}
Exit codes: 0 every snapshot available (or created with --no-wait), 1 a target failed, was busy
until the deadline or hit the quota, 2 nothing to snapshot or bad input.
`;

export function renderSnapshotResult(result: SnapshotJobResult): string {
  const c = result.counts;
  const lines = [
    `Snapshot request ${result.requestId}: ${c.available} available, ${c.creating} creating, ${c.failed} failed, ${c.busy} busy, ${c.quota} over quota, ${c.error} errors`,
  ];
  for (const entry of result.results) {
    const where = `${entry.target.provider}/${entry.target.account}/${entry.target.region}/${entry.target.id}`;
    const detail = entry.error
      ? `${entry.error.code}: ${entry.error.message}`
      : [
          entry.snapshotRef ?? entry.snapshotId,
          entry.createdAt ? `created ${entry.createdAt}` : undefined,
          entry.encrypted === undefined
            ? undefined
            : entry.encrypted
              ? `encrypted${entry.kmsKeyId ? ` with ${entry.kmsKeyId}` : ''}`
              : 'NOT encrypted',
          entry.sizeGb === undefined ? undefined : `${entry.sizeGb} GiB`,
          `${(entry.durationMs / 1000).toFixed(1)} s`,
        ]
          .filter(Boolean)
          .join(', ');
    lines.push(`  ${entry.outcome.padEnd(9)} ${where}: ${detail}`);
  }
  for (const problem of result.problems) lines.push(`  problem: ${problem}`);
  return `${lines.join('\n')}\n`;
}

export const snapshotCommand: CliCommand = {
  name: 'snapshot',
  summary: 'Take tagged pre-maintenance snapshots of every target and wait until they are restorable',
  async run(args, io, overrides) {
    const values = parseCommandArgs('snapshot', args, {
      reason: { type: 'string' },
      ticket: { type: 'string' },
      'request-id': { type: 'string' },
      target: { type: 'string', multiple: true },
      wait: { type: 'boolean' },
      'no-wait': { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(SNAPSHOT_HELP);
      return 0;
    }
    const reason = (values.reason as string | undefined)?.trim();
    if (!reason)
      throw new InputError(
        '--reason is required: say why the snapshot is taken, e.g. --reason "CA rotation"',
      );
    const ticket = values.ticket as string | undefined;
    const request: SnapshotRequest = {
      requestId:
        (values['request-id'] as string | undefined) ?? (ticket ? `ticket:${ticket}` : `cli:${randomUUID()}`),
      reason,
      ticket,
      requestedBy: io.env.USER ?? userInfo().username,
      targets: (values.target as string[] | undefined)?.flatMap((name) => name.split(',')).filter(Boolean),
      wait: values['no-wait'] ? false : true,
    };
    const where = await openWhere(values, io, overrides);
    try {
      const deps: SnapshotJobDependencies = {
        policy: where.policy,
        providers: where.providers,
        ...(where.aws ? { aws: where.aws } : {}),
        ...(where.gcp ? { gcp: where.gcp } : {}),
        ...(where.regions ? { regions: where.regions } : {}),
        ...(where.quiet ? {} : { onProgress: (p) => io.stderr(`${p.target.id}: ${p.message}\n`) }),
      };
      const table = where.policy.snapshots.idempotencyTable;
      const run =
        table && where.dynamo
          ? idempotentByRequestId((r: SnapshotRequest) => runSnapshotJob(r, deps), {
              tableName: table,
              client: where.dynamo,
              waitForFirstMs: where.policy.snapshots.waitMinutes * 60_000,
            })
          : (r: SnapshotRequest) => runSnapshotJob(r, deps);
      const result = await run(request);
      io.stdout(
        where.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderSnapshotResult(result),
      );
      return snapshotExitCode(result);
    } finally {
      await where.close();
    }
  },
};
