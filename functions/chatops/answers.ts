/**
 * The answers of the chat commands as Block Kit messages: per target the snapshot id or the error,
 * then GO / NO-GO; the readiness verdict with the evidence and the action of every gate that is not
 * green; the status. Every value that came from a cloud or a user is escaped for mrkdwn, so a
 * database name or an error message cannot mention a channel or smuggle a link.
 */
import { RATE_LIMIT_OR_QUOTA } from '../actions/snapshot/model.ts';
import { ON_BACKUP_PLAN } from '../core/facts.ts';
import type {
  ChatReadiness,
  ChatSnapshotOutcome,
  ChatSnapshotProgress,
  ChatSnapshotResult,
  ChatStatus,
  ChatVerdict,
} from './actions.ts';
import {
  context,
  escapeInCode,
  escapeMrkdwn,
  escapeWording,
  fitLines,
  listSection,
  message,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
  section,
} from './replies.ts';

const OUTCOME_ICON: Readonly<Record<ChatSnapshotOutcome, string>> = {
  available: ':white_check_mark:',
  creating: ':hourglass_flowing_sand:',
  failed: ':x:',
  busy: ':x:',
  quota: ':x:',
  error: ':x:',
};

const OUTCOME_TEXT: Readonly<Record<ChatSnapshotOutcome, string>> = {
  available: 'restorable',
  creating: 'created, not yet restorable when the wait ended',
  failed: 'the snapshot failed',
  busy: 'the database stayed busy; no snapshot was taken',
  quota: 'the manual-snapshot quota would be exceeded; no snapshot was taken',
  error: 'not taken',
};

const VERDICT_ICON: Readonly<Record<ChatVerdict, string>> = {
  GO: ':large_green_circle:',
  'NO-GO': ':red_circle:',
  UNKNOWN: ':white_circle:',
};

const VERDICT_TEXT: Readonly<Record<ChatVerdict, string>> = {
  GO: 'GO',
  'NO-GO': 'NO-GO',
  UNKNOWN: 'COULD NOT EVALUATE',
};

/** A value as inline code (escapeInCode leaves no backtick in it to end the span early). */
function code(text: string): string {
  return `\`${escapeInCode(text)}\``;
}

/** What a snapshot answer's problems mean for its verdict. */
const NOT_COVERED = 'some databases were not found, not read or not snapshotted here';

/**
 * GO when every target has a restorable snapshot and nothing was left out; NO-GO when a name
 * named several databases (nothing was snapshotted: the requester must say which).
 */
export function snapshotVerdict(result: ChatSnapshotResult): ChatVerdict {
  if ((result.ambiguous ?? []).length > 0) return 'NO-GO';
  if (result.targets.length === 0) return 'UNKNOWN';
  if (result.targets.some((target) => target.outcome !== 'available')) return 'NO-GO';
  return result.problems.length > 0 ? 'NO-GO' : 'GO';
}

/** The snapshot answer: the verdict, then a line per target (those without a restorable snapshot first). */
export function snapshotAnswer(
  result: ChatSnapshotResult,
  request: { readonly ticket: string; readonly reason: string; readonly requestedBy: string },
): SlackMessage {
  const verdict = snapshotVerdict(result);
  const restorable = result.targets.filter((target) => target.outcome === 'available').length;
  const ambiguous = result.ambiguous ?? [];
  const summary =
    verdict === 'GO'
      ? `every database (${restorable}) has a restorable pre-maintenance snapshot.`
      : ambiguous.length > 0
        ? `${ambiguous.map((entry) => `${escapeMrkdwn(entry.name)} names ${entry.matches.length} databases`).join(', ')}; nothing was snapshotted. Ask again naming one by its ARN or project:region:instance.`
        : result.targets.length === 0
          ? // "No database matched" only when every place was read: a listing that failed proves nothing.
            result.problems.length > 0
            ? `nothing was snapshotted: ${NOT_COVERED} (below).`
            : 'no database matched; nothing was snapshotted.'
          : `${result.targets.length - restorable} of ${result.targets.length} databases have no restorable snapshot${result.problems.length > 0 ? `, and ${NOT_COVERED}` : ''}.`;
  const targetLine = (target: ChatSnapshotResult['targets'][number]): string => {
    const what = target.snapshotId ? `${code(target.snapshotId)} ${OUTCOME_TEXT[target.outcome]}` : '';
    // The error is the product's wording (a refusal with the command that fixes it) around the
    // cloud's words: its code spans stay (escapeWording), as a readiness gate's evidence does.
    const detail = target.error ? `: ${escapeWording(target.error)}` : '';
    // Adopted from an earlier run of the request but not proven its own: prune will keep it.
    const unrecorded = target.notRecorded ? ` (${escapeWording(target.notRecorded)})` : '';
    return `${OUTCOME_ICON[target.outcome]} *${escapeMrkdwn(target.name)}* (${escapeMrkdwn(target.location)}): ${what || OUTCOME_TEXT[target.outcome]}${detail}${unrecorded}`;
  };
  // The verdict right under the title, then what keeps it from GO (the databases without a
  // restorable snapshot, the scopes not read), the restorable ones last: past Slack's block limit
  // (message) or a notification's length (amazon-q.ts) only restorable databases are cut, as in
  // readinessAnswer. Databases share sections (sectionsOf), so hundreds fit in Slack's 50 blocks.
  const blocks: SlackBlock[] = [
    // A repeat did not take these snapshots: its own reason and asker are not theirs (the
    // snapshots' tags carry the first request's), so they are not shown as such.
    section(
      result.firstRun || ambiguous.length > 0
        ? `*Pre-maintenance snapshots for ${escapeMrkdwn(request.ticket)}*: ${escapeMrkdwn(request.reason)}`
        : `*Pre-maintenance snapshots for ${escapeMrkdwn(request.ticket)}*\n_Already taken for this ticket and these databases at ${escapeMrkdwn(result.startedAt)}; no new snapshot was started. Their tags carry the first request's reason and requester._`,
    ),
    section(`${VERDICT_ICON[verdict]} *${VERDICT_TEXT[verdict]}*: ${summary}`),
    ...sectionsOf(
      undefined,
      '\n',
      result.targets.filter((target) => target.outcome !== 'available').map(targetLine),
    ),
    ...retrySections(result.targets.filter((target) => target.outcome !== 'available')),
    ...problemSections(result.problems),
    ...sectionsOf(
      undefined,
      '\n',
      result.targets.filter((target) => target.outcome === 'available').map(targetLine),
    ),
  ];
  blocks.push(
    context(
      `${result.firstRun ? 'Requested' : 'Asked again'} by ${escapeMrkdwn(request.requestedBy)}. Run \`readiness\` for the full go/no-go (PITR, key material, dumps and these snapshots).`,
    ),
  );
  return message(
    `Snapshots for ${escapeMrkdwn(request.ticket)}: ${VERDICT_TEXT[verdict]}`,
    blocks,
    'in_channel',
  );
}

/** The answer to a repeat of a request whose first delivery is still taking the snapshots. */
export function snapshotInProgressAnswer(ticket: string): SlackMessage {
  return message(`Snapshots for ${escapeMrkdwn(ticket)} are already being taken`, [
    section(
      `:hourglass_flowing_sand: The snapshots for *${escapeMrkdwn(ticket)}* are already being taken by the same request made earlier; no second snapshot is started. The result will be posted where it was first asked; \`status\` shows the snapshots meanwhile.`,
    ),
  ]);
}

/** A progress update: how many targets reached their final state. */
export function snapshotProgressAnswer(
  events: readonly ChatSnapshotProgress[],
  ticket: string,
): SlackMessage {
  const started = new Set(events.filter((event) => event.stage === 'creating').map((event) => event.target));
  const done = new Set(events.filter((event) => event.stage === 'done').map((event) => event.target));
  const text =
    done.size === 0
      ? `Snapshot requests sent for ${started.size} database${started.size === 1 ? '' : 's'} (${escapeMrkdwn(ticket)}); waiting until each is restorable.`
      : `${done.size} of ${Math.max(started.size, done.size)} snapshots finished for ${escapeMrkdwn(ticket)}; waiting for the rest.`;
  return message(text, [section(`:hourglass_flowing_sand: ${text}`)]);
}

/** Where a readiness answer cut short is shown whole. */
const SEE_ALL_READINESS = 'run `backup-guard readiness` from a terminal for all of it';

/** The readiness answer: the verdict, then each target's gates that are not green. */
export function readinessAnswer(readiness: ChatReadiness): SlackMessage {
  const verdict = readiness.verdict;
  const blocks: SlackBlock[] = [
    section(
      `${VERDICT_ICON[verdict]} *Readiness for the CA rotation: ${VERDICT_TEXT[verdict]}* (${readiness.targets.length} database${readiness.targets.length === 1 ? '' : 's'}, evaluated ${escapeMrkdwn(readiness.evaluatedAt)})`,
    ),
  ];
  // Right under the verdict (the block limit may cut the end): what a GO does not cover.
  const outside = readiness.outsideVerdict ?? [];
  // The checks the policy turns off in gates that ran: one line for all of them.
  const notRun = readiness.checksNotRun ?? [];
  const notRunLine =
    notRun.length > 0
      ? [
          `• Checks not run: ${notRun
            .map(
              ({ check, reason, unverified }) =>
                `${code(check)} (${escapeWording(reason)}: ${escapeWording(unverified)} is not verified)`,
            )
            .join('; ')}`,
        ]
      : [];
  if (outside.length > 0 || notRunLine.length > 0) {
    blocks.push(
      section(
        fitLines(
          [
            '_Not part of this verdict:_',
            ...outside.map(
              (gate) => `• ${code(gate.gate)} ${escapeWording(gate.coverage)}: ${escapeWording(gate.detail)}`,
            ),
            ...notRunLine,
          ],
          SLACK_LIMITS.sectionText,
          SEE_ALL_READINESS,
        ),
      ),
    );
  }
  // What keeps the verdict from GO comes first (NO-GO, then could not evaluate, then what was not
  // evaluated at all) and the green databases last: past Slack's block limit only green ones are cut.
  const targetText = (target: ChatReadiness['targets'][number]): string => {
    const open = target.gates.filter((gate) => gate.status !== 'GO');
    const lines = open.map(
      (gate) =>
        `• ${VERDICT_TEXT[gate.status]} ${code(gate.gate)}: ${escapeWording(gate.evidence)}${gate.action ? `\n   _do:_ ${escapeWording(gate.action)}` : ''}`,
    );
    // A green gate is not listed, but what it accepted is: a GO may rest on a policy exception, or
    // on a finding that passed with a WARNING.
    for (const gate of target.gates) {
      for (const risk of gate.acceptedRisk ?? []) {
        lines.push(`• accepted risk ${code(gate.gate)}: ${escapeWording(risk)}`);
      }
      for (const warning of gate.warnings ?? []) {
        lines.push(`• warning ${code(gate.gate)}: ${escapeWording(warning)}`);
      }
    }
    const green = target.gates.length - open.length;
    // Within one section: a long gate (a fleet-wide one repeated for each database) is cut, never
    // the gates after it (fitLines).
    return fitLines(
      [
        `${VERDICT_ICON[target.status]} *${escapeMrkdwn(target.name)}* (${escapeMrkdwn(target.location)}): ${VERDICT_TEXT[target.status]}, ${green} of ${target.gates.length} gates green`,
        ...lines,
      ],
      SLACK_LIMITS.sectionText,
      SEE_ALL_READINESS,
    );
  };
  // Databases share sections (sectionsOf), so hundreds fit in Slack's 50 blocks.
  const withStatus = (status: ChatVerdict) =>
    sectionsOf(
      undefined,
      '\n\n',
      readiness.targets.filter((target) => target.status === status).map(targetText),
    );
  blocks.push(...withStatus('NO-GO'), ...withStatus('UNKNOWN'));
  blocks.push(
    ...sectionsOf(
      undefined,
      '\n',
      readiness.notEvaluated.map((note) => `:white_circle: ${escapeWording(note)}`),
    ),
  );
  blocks.push(...withStatus('GO'));
  if (readiness.targets.length === 0) blocks.push(section('No database was judged (see above).'));
  return message(`Readiness: ${VERDICT_TEXT[verdict]}`, blocks, 'in_channel');
}

/** A status snapshot's time; one estimated ({@link ChatStatus} `dated`) is said as such, as readiness says it. */
function snapshotDate(createdAt: string, dated: string | undefined): string {
  return dated ? `about ${escapeMrkdwn(createdAt)} (${escapeWording(dated)})` : escapeMrkdwn(createdAt);
}

/**
 * The status answer: the last published audit (what the import ledgers record, timed by the newest
 * change published: not when an audit last ran, which may publish nothing new) and the newest
 * snapshot per target.
 */
export function statusAnswer(status: ChatStatus): SlackMessage {
  const audit =
    'unavailable' in status.lastAudit
      ? `*Last published audit:* not available: ${escapeWording(status.lastAudit.unavailable)}`
      : `*Last published audit* (${escapeMrkdwn(status.lastAudit.at)}, ${escapeMrkdwn(status.lastAudit.source)}): ${Object.entries(
          status.lastAudit.counts,
        )
          .map(([key, count]) => `${count} ${escapeMrkdwn(key)}`)
          .join(', ')}`;
  const snapshots =
    status.snapshots.length === 0
      ? [
          // "None found" is proven only where the snapshots were listed: a problem may be a listing that failed.
          section(
            status.problems.length > 0
              ? '*Pre-maintenance snapshots:* none of ours found among those listed; what was not listed or not covered is above.'
              : '*Pre-maintenance snapshots:* none of ours found.',
          ),
        ]
      : sectionsOf('*Newest pre-maintenance snapshots:*', '\n', [
          ...status.snapshots.map(
            (snapshot) =>
              `• *${escapeMrkdwn(snapshot.target)}* (${escapeMrkdwn(snapshot.location)}): ${code(snapshot.snapshotId)} ${escapeMrkdwn(snapshot.state)}${snapshot.createdAt ? `, ${snapshotDate(snapshot.createdAt, snapshot.dated)}` : ''}`,
          ),
        ]);
  const without = status.withoutSnapshot ?? [];
  const onBackupPlan = status.onBackupPlan ?? [];
  return message('backup-guard status', [
    section(audit),
    // The targets without a snapshot first: past Slack's block limit (message) only listed
    // snapshots are cut, and the answer says how many.
    ...(without.length > 0
      ? sectionsOf(
          `*No pre-maintenance snapshot of ours (${without.length}):*`,
          ', ',
          without.map((entry) => `${escapeMrkdwn(entry.target)} (${escapeMrkdwn(entry.location)})`),
        )
      : []),
    // Not "without a snapshot": the snapshot action refuses them, and readiness says why and what to verify.
    ...(onBackupPlan.length > 0
      ? sectionsOf(
          `*Targets ${ON_BACKUP_PLAN} (${onBackupPlan.length}):*`,
          '\n',
          onBackupPlan.map(
            (entry) =>
              `• *${escapeMrkdwn(entry.target)}* (${escapeMrkdwn(entry.location)}): ${escapeWording(entry.evidence)}. ${escapeWording(entry.action)}`,
          ),
        )
      : []),
    ...problemSections(status.problems),
    ...snapshots,
  ]);
}

/**
 * Items (under a heading, when given) as sections of at most Slack's section length each: one
 * section cut at the limit would lose the end of the list behind a bare marker, and one section per
 * item would spend Slack's 50 blocks on 50 items. The heading heads the first; no items and no
 * heading make no section.
 */
function sectionsOf(heading: string | undefined, separator: string, items: readonly string[]): SlackBlock[] {
  const limit = SLACK_LIMITS.sectionText;
  const blocks: SlackBlock[] = [];
  let current = heading ?? '';
  let listed: string[] = [];
  const push = () =>
    blocks.push(
      listSection(current, { ...(blocks.length === 0 && heading ? { heading } : {}), items: listed }),
    );
  for (const item of items) {
    const joint = current === '' ? '' : current === heading ? (separator === '\n' ? '\n' : ' ') : separator;
    if (current.length + joint.length + item.length > limit && current !== '' && current !== heading) {
      push();
      current = item;
      listed = [item];
    } else {
      current = `${current}${joint}${item}`;
      listed.push(item);
    }
  }
  if (current !== '') push();
  return blocks;
}

/**
 * Which databases without a restorable snapshot are worth asking again for as they are (the same
 * ticket: a passing error, a busy database, a snapshot still creating or failed with attempts
 * left), and which need their cause fixed first (access denied, the database's state, not found,
 * the quota), since asking again as they are only repeats the refusal.
 */
function retrySections(targets: readonly ChatSnapshotResult['targets'][number][]): SlackBlock[] {
  const named = (list: readonly ChatSnapshotResult['targets'][number][]) =>
    list.map((target) => `*${escapeMrkdwn(target.name)}*`).join(', ');
  const worth = targets.filter((target) => target.worthRetrying === true);
  // Google's RESOURCE_EXHAUSTED without a reason is a rate limit or a quota: not listed as the quota.
  const notSaid = targets.filter((target) => target.worthRetrying === false && target.rateLimitOrQuota);
  const fixFirst = targets.filter((target) => target.worthRetrying === false && !target.rateLimitOrQuota);
  const lines = [
    ...(worth.length > 0
      ? [
          `:repeat: Worth asking again with the same ticket (a passing error: throttling, a 5xx or a timeout, a busy database, a snapshot still being made): ${named(worth)}.`,
        ]
      : []),
    ...(fixFirst.length > 0
      ? [
          `:wrench: Not worth asking again as they are (access denied, the database's state, not found, the quota: the error above says which): ${named(fixFirst)}. Fix the cause first, then ask with a new ticket.`,
        ]
      : []),
    // The same ticket replays this answer (RESOURCE_EXHAUSTED is not retried as it is): a new one
    // runs again, after minutes for a rate limit, once raised for a quota.
    ...(notSaid.length > 0
      ? [
          `:hourglass: ${RATE_LIMIT_OR_QUOTA.what}: ${named(notSaid)}. ${RATE_LIMIT_OR_QUOTA.advice} Asking again with the same ticket repeats this answer: ask with a new ticket.`,
        ]
      : []),
  ];
  return lines.length > 0 ? [section(lines.join('\n'))] : [];
}

/**
 * What kept an answer from covering everything (a place not read), one line each, sharing sections:
 * the product's wording quoting values, so its code spans stay (escapeWording).
 */
function problemSections(problems: readonly string[]): SlackBlock[] {
  return sectionsOf(
    undefined,
    '\n',
    problems.map((problem) => `:warning: ${escapeWording(problem)}`),
  );
}

/**
 * What the caller sees when the command failed on our side (details only in the logs). With
 * `recordNotWritten`: a snapshot request whose idempotency record could not be written before it
 * ran (IdempotencyStoreError), so it was not run and took no snapshot, which the caller is told:
 * "failed" alone leaves them to guess whether a snapshot is being taken. The table and its error
 * stay in the logs (they may name the account and the role).
 */
export function failureAnswer(
  what: string,
  options: { readonly recordNotWritten?: boolean } = {},
): SlackMessage {
  const text = options.recordNotWritten
    ? `:x: ${escapeWording(what)} failed on our side before it ran: the record that keeps a request from running twice could not be written, so the request was not run: no snapshot was taken for it. The details are in the backup-guard logs. Nothing was retried automatically; ask again once that record can be written.`
    : `:x: ${escapeWording(what)} failed on our side; the details are in the backup-guard logs. Nothing was retried automatically.`;
  return message(`${what} failed`, [section(text)]);
}

/** Why a run did not finish, as Lambda's invocation record tells (functions/chatops/unfinished.ts). */
export type UnfinishedCause = 'timed-out' | 'failed' | 'expired' | 'dropped';

/** What the run had done, as its delivery marker tells: `unknown` when the marker could not be read. */
export type UnfinishedState = 'absent' | 'running' | 'unknown';

const UNFINISHED_CAUSE: Readonly<Record<UnfinishedCause, string>> = {
  'timed-out': 'it was stopped at its time limit',
  failed: 'it failed on our side',
  expired: 'it waited in the queue too long',
  dropped: 'it was dropped before it could end',
};

/**
 * The answer to a command whose run did not finish (crashed, stopped at its time limit, or never
 * started): what it had done, as far as known, and what to do. Nothing the failed function said is
 * repeated (its error may name anything); the details are in the logs.
 */
export function unfinishedAnswer(
  command: { readonly name: string; readonly ticket?: string },
  cause: UnfinishedCause,
  state: UnfinishedState,
): SlackMessage {
  const what = `\`${command.name}\``;
  const ticket = command.ticket === undefined ? '' : ` for *${escapeMrkdwn(command.ticket)}*`;
  const snapshot = command.name === 'snapshot';
  const done = {
    absent: 'It never started: nothing was done.',
    running: snapshot
      ? 'It had started: snapshot requests may have been sent, and a snapshot RDS started carries on there.'
      : 'It had started, but no answer was sent.',
    unknown: 'Whether it had started is not known (its delivery record could not be read).',
  }[state];
  const next = snapshot
    ? 'Run the same command again (same ticket and databases): snapshots are idempotent, so one already taken is reported, not taken twice. `status` shows the snapshots meanwhile.'
    : 'Run the command again.';
  return message(`${what} did not finish`, [
    section(
      `:warning: ${what}${ticket} did not finish: ${UNFINISHED_CAUSE[cause]}. ${done} ${next} The details are in the backup-guard logs.`,
    ),
  ]);
}
