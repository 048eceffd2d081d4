/** `backup-guard prune`: report (default) or delete expired pre-maintenance snapshots of ours. */
import { everyRunRecordStore } from '../../actions/snapshot/run-records.ts';
import { dynamoRunRecords } from '../../aws/run-records-table.ts';
import { EXIT_CODES } from '../../core/audit.ts';
import { InputError } from '../../core/errors.ts';
import { runRecordsBucketOf } from '../../gcp/run-records-bucket.ts';
import { renderPrune, runPruneJob } from '../../jobs/prune.ts';
import { visibleLine } from '../../publish/terminal.ts';
import { parseCommandArgs } from '../args.ts';
import { ENDPOINT_OPTIONS, whereOptions } from '../clouds.ts';
import type { CliCommand, CliIo, CliOverrides } from '../command.ts';
import {
  DYNAMODB_ENDPOINT_ENV,
  idempotencyTableInput,
  membersLeftOutLine,
  OUTPUT_OPTIONS,
  openSnapshotCommand,
  parseSnapshotFormat,
} from '../snapshot-clouds.ts';

async function runPrune(args: readonly string[], io: CliIo, overrides: CliOverrides): Promise<number> {
  const { values } = parseCommandArgs(pruneCommand, args);
  if (values.apply === true && values['dry-run'] === true) {
    throw new InputError('--apply deletes and --dry-run only reports: give one of them');
  }
  const format = parseSnapshotFormat(values);
  const tableInput = idempotencyTableInput(values, io);
  const context = await openSnapshotCommand(values, io, overrides, 'prune', tableInput.check, {
    writes: true,
  });
  // A warning, not progress: said with --quiet too. A dry run leaves out what --apply would.
  const leftOut = membersLeftOutLine('prune', context.membersLeftOut);
  if (leftOut) io.stderr(leftOut);
  // The run records are where the snapshots were taken from: the table `snapshot` and the AWS
  // entry points write them to, and, for Cloud SQL, the GCP deployment's records bucket too (the
  // GCP functions write there). Without either, nothing proves a snapshot ours: each is kept.
  const table = await tableInput.open(context, overrides);
  try {
    const tableRecords = table ? dynamoRunRecords(table.dynamo, table.name) : undefined;
    const bucket = context.policy.snapshots.runRecordsBucket;
    const gcpRecords = everyRunRecordStore([
      ...(bucket && context.clouds.gcp ? [runRecordsBucketOf(context.clouds.gcp, bucket)] : []),
      ...(tableRecords ? [tableRecords] : []),
    ]);
    const result = await runPruneJob(
      { apply: values.apply === true },
      {
        policy: context.policy,
        clouds: context.snapshotClouds,
        runRecords: {
          ...(tableRecords ? { aws: tableRecords } : {}),
          ...(gcpRecords ? { gcp: gcpRecords } : {}),
        },
        // The clouds' words (instance, operation names): shown, never run. The answer on stdout
        // says how each wait ended, so --quiet loses nothing but the progress.
        ...(values.quiet === true ? {} : { onWait: (message) => io.stderr(`${visibleLine(message)}\n`) }),
      },
    );
    io.stdout(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderPrune(result));
    // A delete due but not proven safe because a read failed (undecided) is a read that failed, as
    // a region not read is: the run could not decide what it was asked to, dry run or not (exit 1
    // says every read went through and a delete was refused).
    if (result.problems.length > 0 || result.undecided > 0) return EXIT_CODES.incomplete;
    return result.applied && result.pending > 0 ? EXIT_CODES.failed : EXIT_CODES.ok;
  } finally {
    table?.destroy();
    await context.clouds.close();
  }
}

export const pruneCommand: CliCommand = {
  name: 'prune',
  summary: 'List (default) or delete the expired pre-maintenance snapshots this tool made',
  options: {
    'dry-run': {
      type: 'boolean',
      help: 'Only report what would be deleted and what is kept, and why (the default)',
    },
    apply: { type: 'boolean', help: 'Delete what may go' },
    ...whereOptions({
      provider: "Which cloud's snapshots to prune",
      region: 'Prune only in this AWS region',
      project: "Prune this GCP project's Cloud SQL backups",
    }),
    ...OUTPUT_OPTIONS,
    quiet: {
      type: 'boolean',
      help: 'No progress on stderr (the waits for a Cloud SQL delete to end before the next one)',
    },
    ...ENDPOINT_OPTIONS,
    'dynamodb-endpoint-url': {
      type: 'string',
      value: 'URL',
      help: `Read the run records in the idempotency table from URL (a local DynamoDB; also $${DYNAMODB_ENDPOINT_ENV}; default: --endpoint-url)`,
    },
  },
  details: `Only snapshots this tool created are deleted: one carrying our tags (purpose=certctl-pre-maintenance)
is deleted only when a run record of ours names it (its id, database, account and region, and
the same ARN or backup run when both are known), kept 30 days past the snapshot's expiry. \`snapshot\`
(the CLI, the snapshot Lambda and chat on AWS) writes one per snapshot it creates to
snapshots.idempotencyTable, and prune reads it there (dynamodb:GetItem). The GCP functions (the
snapshot function and chat-action) write one per Cloud SQL backup they take to their records
bucket (gs://<host project>-certctl-chat-requests/snapshot-run-records/): set it as
snapshots.runRecordsBucket and prune --provider gcp reads it there too (storage.objects.get on that
bucket). A re-run of a request that adopts the request's own snapshot (its earlier run died before
recording it) records it only when the cloud created it no earlier than the request was first
accepted and it is told to be of the database there now (not SnapshotNotVerified); otherwise its
result says "adopted, not recorded" and why, and prune keeps it. Tags are a claim anyone who may
tag a snapshot or write a Cloud SQL backup's description can make. An expired snapshot no record
names is kept and listed with the reason: one taken before run records existed (an earlier
version), or by someone else. Delete it by hand once you know it is ours. Nor does a snapshot no
record names count as a database's newest (its restore point): a newer one tagged as ours outside
this tool never lets a recorded one go (kept, naming it). A record that could not be read deletes
nothing of its region or project: its expired snapshots are kept and the read is listed as not read
(exit 2). Without a store for the cloud (snapshots.idempotencyTable; for GCP,
snapshots.runRecordsBucket or it) every expired snapshot is kept, saying so, unless the policy sets
snapshots.pruneByTagsAlone: true (the tags decide alone, as before run records). They are considered only
once past their expires-at tag, and never the newest successful one of a database (the restore
point the next maintenance relies on; a database deleted and created again under its identifier,
told by its RDS resource id, is another database whose snapshots keep their own; a successful
RDS or Aurora snapshot listed without its DbiResourceId / DbClusterResourceId never goes for a
newer one, which may be of another database of that name: each is kept saying so, with the
aws rds describe-db-snapshots (describe-db-cluster-snapshots) command that shows each snapshot's
id; a Cloud SQL backup taken before its instance's createTime is of an earlier instance of that
name and is kept; when the instance is listed without its createTime, none of its successful
backups goes, as the newer one that would let it go may be of another instance: each is kept
saying so, with the gcloud command that shows when the instance was created), nor any newer than
its newest one whose encryption key is usable
(a key pending deletion or not readable keeps the older ones). Kept too: a snapshot whose status
was not sent or is not known, and one carrying our tags that this tool did not take there (a copy
from another region or account, or a name other than certctl-premaint-*). Other
manual snapshots are never touched. An RDS or Aurora snapshot that would go is asked who it is
shared with (its restore attribute; in a dry run too; with --apply last, just before its delete,
which RDS does not refuse for a shared snapshot): one shared with another account (which may
copy or restore it, as a cross-account DR source) or public is kept, naming the accounts and the
'aws rds modify-db-snapshot-attribute ... --values-to-remove' (modify-db-cluster-snapshot-attribute)
command that unshares it; one whose sharing could not be read is not deleted (not proven unshared)
and is "UNDECIDED" with its error (JSON: decision "undecided", counted in undecided), not kept. Your
credentials need rds:DescribeDBSnapshotAttributes and rds:DescribeDBClusterSnapshotAttributes on
the snapshots (snapshot:certctl-premaint-*, cluster-snapshot:certctl-premaint-*) besides the
listings and deletes. A snapshot that would go but is found no longer there (deleted since the
listing, not by this prune: on its sharing read, its read again or its delete) is "gone" (JSON:
decision "gone", counted in gone), neither kept nor failed. With --apply each
snapshot is read again just before its delete: one whose tags changed since the listing (expiry
extended, purpose tag removed) or whose expires-at is not an ISO 8601 time (a day its month does
not have, hour 24) is kept, with the reason;
so is the newer snapshot of its database that lets it go: one deleted or changed since the listing
does not (an older snapshot left the newest is kept). One that could not be read again is UNDECIDED.
A Cloud SQL delete starts an operation that can still fail: one not ended when Cloud SQL answered
is listed as "requested" (delete requested, operation named, not yet confirmed), not as deleted;
one already ended in error is FAILED. Cloud SQL runs one operation per instance at a time: before
the next delete on an instance, the running one is waited for (at most snapshots.waitMinutes,
progress on stderr); a backup whose instance is still busy, or busy with another operation, is
"not attempted" (JSON: decision "not-attempted", counted in notAttempted, apart from the
snapshots kept on purpose), not failed. The next prune lists a backup that is still there again.

With member accounts in the policy (aws.accounts), prune lists and deletes in the account of its
credentials only, --dry-run too (it says what --apply would do): the member roles are read-only, and
every delete through one would be refused. It says once on stderr, --quiet or not, which member
accounts it left out; to prune their snapshots, run it with each account's credentials (AWS_PROFILE).

Exit codes:
  0  done (dry run: nothing deleted; a snapshot gone, a Cloud SQL delete requested or not
     attempted is not a failure)
  1  a delete failed (listed with its error), every read went through
  2  a read failed: a region or project could not be read, or a snapshot due for deletion is
     UNDECIDED (who it is shared with, or what it is now, not read; in a dry run too); a failed
     delete is listed too; or the input was bad

Examples:
  npx backup-guard prune --policy policy.yaml
  npx backup-guard prune --policy policy.yaml --apply
`,
  run: runPrune,
};
