/**
 * `backup-guard snapshot`: take a pre-maintenance snapshot of every target (or those named with
 * --target), tagged with the reason, ticket and who asked, and wait until each is restorable.
 * The same ticket re-run returns the first result (idempotency table; after a failed snapshot it
 * runs once more, functions/jobs/snapshot-once.ts) or adopts the snapshots it made (their names
 * derive from the request id), so nothing is taken twice.
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import {
  MAX_SNAPSHOT_ATTEMPTS,
  MAX_SNAPSHOT_TARGETS,
  pollDelay,
  RATE_LIMIT_OR_QUOTA_EXPLANATION,
  SNAPSHOT_REQUEST_LIMITS,
  tooManyTargetsProblem,
  waitText,
} from '../../actions/snapshot/model.ts';
import type { SnapshotPollFailure, SnapshotProgress } from '../../actions/snapshot/run.ts';
import { dynamoRunRecords } from '../../aws/run-records-table.ts';
import { describeError, InputError } from '../../core/errors.ts';
import { hiddenIdProblem, hiddenReasonProblem, identifierProblem } from '../../core/invisible.ts';
import {
  SNAPSHOT_RECORDING_MARGIN_MS,
  SNAPSHOT_SETUP_BOUND_MS,
  type SnapshotsPolicy,
  snapshotRunBoundMs,
} from '../../core/snapshots-policy.ts';
import type { FirstRunWait } from '../../jobs/idempotency.ts';
import {
  runSnapshotJob,
  type SnapshotJobDependencies,
  type SnapshotJobResult,
  type SnapshotRequest,
  snapshotExitCode,
} from '../../jobs/snapshot.ts';
import { idempotentSnapshotJob } from '../../jobs/snapshot-once-table.ts';
import { visibleLine } from '../../publish/terminal.ts';
import { parseCommandArgs, splitList } from '../args.ts';
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

export { DYNAMODB_ENDPOINT_ENV, DYNAMODB_ENDPOINT_EXAMPLE } from '../snapshot-clouds.ts';

/** `certctl-db: creating snapshot …`: one target's progress, as stderr shows it. */
export function snapshotProgressLine(progress: SnapshotProgress): string {
  return `${visibleLine(progress.target.id)}: ${visibleLine(progress.message)}\n`;
}

/**
 * `certctl-prod-db: the state of its snapshot could not be read (Throttling: Rate exceeded); …`: a
 * poll of the awaited snapshots that failed, said at the first of a run of like failures only (the
 * next ones, a poll every few seconds, would drown the other lines); a failure otherwise, or the same
 * one after a poll that read them, is said again. Undefined for the rest of a run.
 */
export function pollFailureLine(failure: SnapshotPollFailure): string | undefined {
  if (failure.inARow > 1) return undefined;
  const targets = failure.targets.map((target) => visibleLine(target.id)).join(', ');
  const whose = failure.targets.length === 1 ? 'its snapshot' : 'their snapshots';
  return `${targets}: the state of ${whose} could not be read (${visibleLine(`${failure.code}: ${failure.message}`)}); polled again until the deadline (snapshots.waitMinutes), and not said again while it fails alike\n`;
}

/** How often, while snapshots are awaited, stderr says which are: a snapshot can take an hour. */
export const STILL_WAITING_EVERY_MS = 60_000;

/**
 * `waiting for 2 snapshots to be available (certctl-prod-db, certctl-aurora): 5 min 0 s so far, up
 * to 60 minutes (snapshots.waitMinutes)`: the targets created or retried and not yet done.
 */
export function stillWaitingLine(targets: readonly string[], elapsedMs: number, waitMinutes: number): string {
  const count = `${targets.length} snapshot${targets.length === 1 ? '' : 's'}`;
  return `waiting for ${count} to be available (${targets.map(visibleLine).join(', ')}): ${waitText(elapsedMs / 60_000)} so far, up to ${waitText(waitMinutes)} (snapshots.waitMinutes)\n`;
}

/**
 * The progress of a snapshot run on stderr: each target's events as they come, and every `everyMs`
 * while some target is created (or retried, or waited for) and not yet done, the line that says
 * which: between "creating" and "available" a snapshot of a large database is silent for up to
 * snapshots.waitMinutes otherwise. `stop` ends the heartbeat.
 */
function snapshotProgress(
  io: CliIo,
  waitMinutes: number,
  everyMs: number,
): { onProgress: (progress: SnapshotProgress) => void; stop: () => void } {
  const startedAt = Date.now();
  const open = new Map<string, string>();
  // A target done is not awaited again, whatever it says after (a run record written late).
  const done = new Set<string>();
  const keyOf = ({ target }: SnapshotProgress) =>
    `${target.provider}/${target.account}/${target.region}/${target.kind}/${target.id}`;
  const timer = setInterval(() => {
    if (open.size > 0) io.stderr(stillWaitingLine([...open.values()], Date.now() - startedAt, waitMinutes));
  }, everyMs);
  // The heartbeat alone never keeps the process alive.
  timer.unref();
  return {
    onProgress(progress) {
      io.stderr(snapshotProgressLine(progress));
      const key = keyOf(progress);
      if (progress.stage === 'done') {
        open.delete(key);
        done.add(key);
      } else if (!done.has(key)) {
        open.set(key, progress.target.id);
      }
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * What a re-sent request says on stderr while it waits for the other run of the same request
 * (functions/jobs/idempotency.ts onWaitForFirst): once when it starts waiting, when that request was
 * accepted and how long it waits at most, then again as it goes on, spaced as a poll of the
 * snapshots is (`snapshots.pollInitialSeconds` growing to `pollMaxSeconds`), as prune says its waits.
 */
export function firstRunWaitPrinter(
  requestId: string,
  snapshots: Pick<SnapshotsPolicy, 'pollInitialSeconds' | 'pollMaxSeconds'>,
  write: (line: string) => void,
): (wait: FirstRunWait) => void {
  let nextLineAtMs: number | undefined;
  const id = visibleLine(requestId);
  return (wait) => {
    const atMost = waitText(wait.atMostMs / 60_000);
    if (nextLineAtMs === undefined) {
      const accepted = wait.firstAcceptedAt
        ? ` (accepted at ${wait.firstAcceptedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')})`
        : '';
      write(
        `${id}: the same request is already being run by another run${accepted}; waiting for its result instead of running it twice, at most ${atMost}\n`,
      );
    } else if (wait.waitedMs >= nextLineAtMs) {
      write(
        `${id}: still waiting for the other run of this request (${waitText(wait.waitedMs / 60_000)} of at most ${atMost})\n`,
      );
    } else {
      return;
    }
    nextLineAtMs = wait.waitedMs + pollDelay(wait.waitedMs, snapshots);
  };
}

export function renderSnapshotResult(result: SnapshotJobResult): string {
  const c = result.counts;
  const lines = [
    `Snapshot request ${result.requestId}: ${c.available} available, ${c.creating} creating, ${c.failed} failed, ${c.busy} busy, ${c.quota} over quota, ${c.error} errors`,
  ];
  for (const entry of result.results) {
    const where = `${entry.target.provider}/${entry.target.account}/${entry.target.region}/${entry.target.id}`;
    // A refusal Google gave no reason for is said as chat says it: a rate limit or a quota, not
    // which; in the words the result carries for its JSON, or, in a result remembered before it
    // carried them, the same words from its flag.
    const explanation =
      entry.error?.explanation ??
      (entry.error?.rateLimitOrQuota ? RATE_LIMIT_OR_QUOTA_EXPLANATION : undefined);
    const detail = entry.error
      ? `${entry.error.code}: ${entry.error.message}${explanation ? `; ${explanation}` : ''}`
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
          entry.attempts > 1 ? `${entry.attempts} attempts (busy, retried)` : undefined,
          entry.attempts === 0 ? 'taken earlier by this request' : undefined,
          (entry.snapshotAttempt ?? 1) > 1
            ? `attempt ${entry.snapshotAttempt} of ${MAX_SNAPSHOT_ATTEMPTS} (the earlier ones failed)`
            : undefined,
        ]
          .filter(Boolean)
          .join(', ');
    lines.push(`  ${entry.outcome.padEnd(9)} ${where}: ${detail}`);
    // Adopted from an earlier run of the request, but not proven taken by it: prune will keep it.
    if (entry.notRecorded) lines.push(`            ${entry.notRecorded}`);
  }
  for (const target of result.outsideThisAsk ?? []) {
    lines.push(
      `  not asked ${target.provider}/${target.account}/${target.region}/${target.id}: snapshotted by this request earlier, outside the clouds, regions and projects this ask reads, so not read again here`,
    );
  }
  for (const problem of result.problems) lines.push(`  problem: ${problem}`);
  // Names, snapshot ids and API errors are the clouds' words: each line shown, never run.
  return `${lines.map(visibleLine).join('\n')}\n`;
}

/**
 * Who requests the snapshot, for its requested-by tag: $USER, else the login name. A uid with no
 * passwd entry (a container run as `-u 1000`) has none, and os.userInfo() throws a SystemError:
 * said as what to set, not as an unexpected error with its stack.
 */
export function requesterOf(
  env: NodeJS.ProcessEnv,
  loginName: () => string = () => userInfo().username,
): string {
  const user = env.USER?.trim();
  if (user) return user;
  try {
    return loginName();
  } catch (error) {
    // Node words it "A system error occurred: uv_os_get_passwd returned ENOENT (no such file …)".
    const message = describeError(error);
    const why = /uv_\w+ returned \w+/.exec(message)?.[0] ?? message;
    throw new InputError(
      `cannot tell who requests the snapshot (its requested-by tag): $USER is not set and this user has no login name (${why}); set USER, e.g. USER=alice backup-guard snapshot ...`,
      { cause: error },
    );
  }
}

/** The request the arguments describe; every mistake names its flag. */
function snapshotRequestOf(values: Readonly<Record<string, unknown>>, io: CliIo): SnapshotRequest {
  const reason = (values.reason as string | undefined)?.trim();
  if (!reason) {
    throw new InputError('--reason is required: say why the snapshot is taken, e.g. --reason "CA rotation"');
  }
  const hidden = hiddenReasonProblem(reason);
  if (hidden !== undefined) throw new InputError(`--reason ${hidden}`);
  if (values.wait === true && values['no-wait'] === true) {
    throw new InputError('--wait and --no-wait contradict each other: give one of them');
  }
  const ticket = (values.ticket as string | undefined)?.trim() || undefined;
  if (values.ticket !== undefined && !ticket) throw new InputError('--ticket needs a change ticket id');
  const requestId = (values['request-id'] as string | undefined)?.trim();
  if (values['request-id'] !== undefined && !requestId) throw new InputError('--request-id needs a value');
  for (const [flag, value, what] of [
    ['--ticket', ticket, 'the ticket'],
    ['--request-id', requestId, 'the request id'],
  ] as const) {
    const hiddenInId = value === undefined ? undefined : hiddenIdProblem(value, what);
    if (hiddenInId !== undefined) throw new InputError(`${flag} ${hiddenInId}`);
  }
  for (const [flag, value, limit] of [
    ['--reason', reason, SNAPSHOT_REQUEST_LIMITS.reason],
    ['--ticket', ticket, SNAPSHOT_REQUEST_LIMITS.ticket],
    ['--request-id', requestId, SNAPSHOT_REQUEST_LIMITS.requestId],
  ] as const) {
    if (value && value.length > limit) {
      throw new InputError(
        `${flag} is ${value.length} characters; keep it to ${limit} (it is written to a snapshot tag, which would cut it)`,
      );
    }
  }
  const targets = splitList(values.target);
  if (values.target !== undefined && targets?.length === 0) {
    throw new InputError('--target needs a DB identifier, cluster identifier, Cloud SQL instance or ARN');
  }
  // As the `snapshot` Lambda refuses them: the result is remembered in one idempotency record.
  const tooMany = tooManyTargetsProblem(targets?.length ?? 0);
  if (tooMany !== undefined) throw new InputError(`--target ${tooMany} (--ticket or --request-id)`);
  for (const target of targets ?? []) {
    const problem = identifierProblem(target);
    if (problem !== undefined) throw new InputError(`--target '${target}' ${problem}`);
  }
  return {
    requestId: requestId || (ticket ? `ticket:${ticket}` : `cli:${randomUUID()}`),
    reason,
    ticket,
    requestedBy: requesterOf(io.env),
    targets,
    wait: values['no-wait'] !== true,
  };
}

async function runSnapshot(args: readonly string[], io: CliIo, overrides: CliOverrides): Promise<number> {
  const { values } = parseCommandArgs(snapshotCommand, args);
  const request = snapshotRequestOf(values, io);
  const format = parseSnapshotFormat(values);
  const tableInput = idempotencyTableInput(values, io);
  const context = await openSnapshotCommand(values, io, overrides, 'snapshot', tableInput.check, {
    writes: true,
  });
  const { policy, clouds } = context;
  // A warning, not progress: said with --quiet too.
  const leftOut = membersLeftOutLine('snapshot', context.membersLeftOut);
  if (leftOut) io.stderr(leftOut);
  // Each request is kept in the idempotency table, and each snapshot taken is recorded there.
  const idempotency = await tableInput.open(context, overrides);
  const table = idempotency?.name;
  const dynamo = idempotency?.dynamo;
  // The longest this run lasts (its set-up, snapshots.waitMinutes, its recording): its claim on the
  // request holds that long, and a re-send waits that long for its result.
  const longestRunMs = snapshotRunBoundMs(policy.snapshots);
  const progress =
    values.quiet === true
      ? undefined
      : snapshotProgress(
          io,
          policy.snapshots.waitMinutes,
          overrides.stillWaitingEveryMs ?? STILL_WAITING_EVERY_MS,
        );
  try {
    const deps: SnapshotJobDependencies = {
      policy,
      clouds: context.snapshotClouds,
      // Each snapshot taken is recorded in the table: prune deletes only what a record names.
      ...(table && dynamo ? { runRecords: dynamoRunRecords(dynamo, table) } : {}),
      ...(progress
        ? {
            onProgress: progress.onProgress,
            onPollFailure: (failure: SnapshotPollFailure) => {
              const line = pollFailureLine(failure);
              if (line) io.stderr(line);
            },
          }
        : {}),
    };
    const run =
      table && dynamo
        ? idempotentSnapshotJob(
            // The request's first acceptance, from its idempotency record: the snapshots of it a
            // re-run adopts are recorded only when the cloud made them no earlier.
            (r: SnapshotRequest, accepted) => runSnapshotJob(r, { ...deps, ...accepted }),
            {
              tableName: table,
              client: dynamo,
              waitForFirstMs: longestRunMs,
              longestRunMs,
              ...(values.quiet === true
                ? {}
                : {
                    onWaitForFirst: firstRunWaitPrinter(request.requestId, policy.snapshots, io.stderr),
                  }),
              onRecordError: (error) =>
                io.stderr(
                  `backup-guard: warning: the snapshot result was not recorded in the idempotency table (${visibleLine(describeError(error))}); a repeat of this request once this run's claim expires, ${waitText(longestRunMs / 60_000)} after it started, runs it again, adopting these snapshots\n`,
                ),
            },
            {
              readinessMaxAgeHours: policy.snapshots.readinessMaxAgeHours,
              retentionDays: policy.snapshots.expiryDays,
              clouds: context.snapshotClouds,
              selection: policy.targets,
            },
          )
        : (r: SnapshotRequest) => runSnapshotJob(r, deps);
    const result = await run(request);
    io.stdout(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderSnapshotResult(result));
    return snapshotExitCode(result);
  } finally {
    progress?.stop();
    idempotency?.destroy();
    await clouds.close();
  }
}

export const snapshotCommand: CliCommand = {
  name: 'snapshot',
  summary:
    'Take tagged pre-maintenance snapshots (RDS, Aurora, Cloud SQL) of every target and wait until they are restorable',
  options: {
    reason: {
      type: 'string',
      value: 'TEXT',
      help: `Why the snapshot is taken (required, at most ${SNAPSHOT_REQUEST_LIMITS.reason} characters), e.g. "CA rotation"`,
    },
    ticket: {
      type: 'string',
      value: 'ID',
      help: `Change ticket (at most ${SNAPSHOT_REQUEST_LIMITS.ticket} characters); also the request id, so a re-run with the same ticket takes nothing twice`,
    },
    'request-id': {
      type: 'string',
      value: 'ID',
      help: `Request id (at most ${SNAPSHOT_REQUEST_LIMITS.requestId} characters; default: ticket:<ticket>, else a new one); a re-sent request id returns the first result, or retries what it did not deliver`,
    },
    target: {
      type: 'string',
      multiple: true,
      value: 'NAME',
      help: `Only this target (DB or cluster identifier, Cloud SQL instance, ARN or selfLink), one of those the policy selects (targets.tags, targets.identifiers, targets.all); repeat or comma-separate, at most ${MAX_SNAPSHOT_TARGETS} names (more is refused, exit 2: split them over requests). A plain name several databases share snapshots none (exit 2): name the one you mean by its ARN or project:region:instance. An Aurora member or a read replica of a selected database is not a target (exit 2): the answer names its cluster or source to name instead, which is not snapshotted unless named. A database of another engine (RDS MySQL, Aurora MySQL, Cloud SQL MySQL or SQL Server, …) is not a target either (exit 2): the answer names its engine when the policy selects it`,
    },
    wait: {
      type: 'boolean',
      help: 'Wait until every snapshot is available, busy targets retried, up to snapshots.waitMinutes (the default); meanwhile stderr says every minute which snapshots it still waits for, and a poll of them that failed (its error, once for a run of like failures)',
    },
    'no-wait': { type: 'boolean', help: 'Return once every snapshot is created' },
    ...whereOptions({
      provider: "Which cloud's targets to snapshot",
      region: 'Snapshot only targets in this AWS region',
      project: "Snapshot this GCP project's Cloud SQL targets",
    }),
    ...OUTPUT_OPTIONS,
    quiet: { type: 'boolean', help: 'No progress on stderr' },
    ...ENDPOINT_OPTIONS,
    'dynamodb-endpoint-url': {
      type: 'string',
      value: 'URL',
      help: `Send the idempotency table's DynamoDB calls to URL (a local DynamoDB; also $${DYNAMODB_ENDPOINT_ENV}; default: --endpoint-url)`,
    },
  },
  details: `Each snapshot is tagged at creation with purpose, reason, ticket, requested-by ($USER, else
the login name), request-id and expires-at (snapshots.expiryDays); Cloud SQL backups carry the same
in their description. With snapshots.idempotencyTable set, a request id is remembered in DynamoDB
and a re-sent request returns
the first result, also while the first is still running (it waits for it, saying so on stderr, when
the request was accepted and how long it waits at most, then again as it waits: a run's claim on the
request holds as long as a run can last, ${waitText(SNAPSHOT_SETUP_BOUND_MS / 60_000)} to find its targets (a slower search
shortens the wait), snapshots.waitMinutes and ${waitText(SNAPSHOT_RECORDING_MARGIN_MS / 60_000)} to record; a run that was
stopped holds re-sends off until its claim lapses, then one runs), unless a later run could still deliver
what it did not with nothing fixed first (a snapshot that failed with attempts left, a database
busy or a snapshot still creating at the deadline, an API error that passes on its own: throttling,
a 5xx, a timeout; a region not read): a request re-sent after such a result runs once more (once,
however many re-send it at the same time). An error that needs a fix first (access denied, the
database's state, not found, the quota; a Cloud SQL refusal RESOURCE_EXHAUSTED without a reason,
which the answer says is a rate limit or a quota, not said which) is replayed: fix it or wait,
then ask with a new ticket. With --format json each target's error is its code and message, and
that refusal also carries rateLimitOrQuota: true and explanation, the words the table prints
after its message. A request id names one request: asked
again for other databases it is refused, exit 2, nothing snapshotted; other words for the same
databases (no --target, then each database the policy selects named) are the same request;
the same words naming more databases than its first run covered (no --target in every region
after --region named one) run once more, adopting the snapshots already taken and snapshotting
the rest, and where they cannot read a region or project the answer names it (exit 2), never an
answer for the databases there; without the table a re-run adopts the snapshots the first one made (their names derive from the request
id), so nothing is taken twice. A snapshot
of that name that is not tagged as ours, is tagged for another request id or none (a Cloud SQL
description is free text), or is of another database, is never adopted: the target
is reported as an error (SnapshotNameTaken). One whose DbiResourceId or DbClusterResourceId (a
Cloud SQL instance: its createTime) was not sent, the snapshot's or the database's, cannot be told
from an earlier database's of that name (deleted and created again, given the same request id): it
is reported as an error (SnapshotNotVerified) naming each id that was not sent and the command that
shows it, not as available, and is not recorded as ours (prune keeps it); ask again once it is sent. One an earlier run took longer ago than
snapshots.readinessMaxAgeHours is kept but reported as an error (SnapshotStale), not as available:
ask with a new ticket for a fresh one. A returned result's snapshots are read again first (one call
each): one deleted since (SnapshotGone), no longer available (SnapshotNotAvailable) or that could not
be read (SnapshotNotVerified) is an error naming it, not available; so is one of an earlier
database of its name (deleted and created again since: another DbiResourceId or
DbClusterResourceId, SnapshotOfEarlierDatabase: ask with a new ticket), or whose database could not
be read or found now (SnapshotNotVerified). An RDS or Aurora snapshot is
checked for its KMS key (DescribeKey): a key pending deletion, disabled or unavailable
(SnapshotKeyUnusable), or one that could not be read (SnapshotKeyNotVerified), is an error naming
the key, not available; asking again reads the key again. When the request's snapshot of a target ended failed or is
being deleted, a re-run takes one more under its own name (<name>-a2, then -a3), never two of one
attempt; after ${MAX_SNAPSHOT_ATTEMPTS} attempts it takes none and reports them all (SnapshotAttemptsExhausted).
A Cloud SQL instance on the enhanced backup tier (backupConfiguration.backupTier ENHANCED or
ADVANCED, read from the instance listing) gets no backup run: Backup and DR takes its backups, so it
is reported as an error (SnapshotOnBackupPlan) naming the command that takes its on-demand backup
(gcloud backup-dr backup-plan-associations trigger-backup) and how to find its association; the
other targets still run. So is one on a backupTier this tool does not know, which the error names.
Without --target, a database of another engine the policy selects (an RDS MySQL or Aurora MySQL
database carrying a target tag, a Cloud SQL MySQL or SQL Server instance carrying the target label
or named in targets.identifiers) gets no snapshot and is named with its engine, as the audit's
Coverage names it, while the PostgreSQL targets are snapshotted as usual (exit 2). It is seen in the
listing the run makes anyway: on RDS a policy selecting by tag then lists every engine, as the audit
does (no call of its own); a policy selecting RDS databases by name alone keeps the PostgreSQL filter,
and its names are looked up only when --target names them.

With member accounts in the policy (aws.accounts), snapshot takes snapshots in the account of its
credentials only, as the snapshot Lambda and chat do: the member roles are read-only, and every
create through one would be refused. It says once on stderr, --quiet or not, which member accounts
it left out; to snapshot their databases, run it with each account's credentials (AWS_PROFILE).

Exit codes:
  0  every target's snapshot is available (or created, with --no-wait)
  1  a target did not get its snapshot: failed, busy until the deadline, still creating at the
     deadline, over the manual-snapshot quota, its name taken, only a stale one from an earlier run
     of the request, a returned one gone or not read again or of an earlier database of that
     name (SnapshotOfEarlierDatabase), its KMS key unusable or not read, a Cloud SQL instance on
     the enhanced backup tier (SnapshotOnBackupPlan), or an API error; each is listed with the
     exact error
  2  the request could not complete (no target, a region or project not read, a named target not
     found or naming several databases, a database of another engine named or selected: nothing
     snapshotted for it) or the input was bad

Examples:
  npx backup-guard snapshot --policy policy.yaml --reason "CA rotation" --ticket CHG-1234
  npx backup-guard snapshot --policy policy.yaml --reason "key rotation" --target certctl-prod-db --no-wait
  npx backup-guard snapshot --policy examples/gcp.yaml --reason "CA swap" --ticket CHG-9
`,
  run: runSnapshot,
};
