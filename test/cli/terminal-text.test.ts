/**
 * What the CLI prints besides the table report (progress lines, the publication summary, the
 * snapshot, prune and readiness answers, error lines) carries names and messages from clouds and
 * users: none of it may reach the terminal as a control sequence or start a line of its own.
 */
import { describe, expect, it } from 'vitest';
import { describePublication, runCli } from '../../functions/cli/cli.ts';
import { progressLine } from '../../functions/cli/commands/audit.ts';
import { renderSnapshotResult, snapshotProgressLine } from '../../functions/cli/commands/snapshot.ts';
import type { AuditProgress } from '../../functions/core/audit.ts';
import { type PruneResult, renderPrune } from '../../functions/jobs/prune.ts';
import type { DeliveredPublication } from '../../functions/jobs/publish.ts';
import { type ReadinessResult, renderReadiness } from '../../functions/jobs/readiness.ts';
import type { SnapshotJobResult } from '../../functions/jobs/snapshot.ts';
import { visible, visibleLine } from '../../functions/publish/terminal.ts';
import { captureIo } from './support.ts';

/** A name that clears the screen, then forges a line of its own. */
const HOSTILE = 'db\u001b[2J\nPASSED all good';
const SHOWN = 'db\\x1b[2J\\x0aPASSED all good';

/** ESC, the 8-bit CSI and the carriage return: what rewrites a terminal. */
function expectNoRawControl(text: string): void {
  for (const control of ['\u001b', '\u009b', '\r']) expect(text).not.toContain(control);
}

/** No escape character, no carriage return; line feeds only where the text ends a line. */
function expectInert(text: string): void {
  expectNoRawControl(text);
  expect(text).not.toContain('\nPASSED all good');
}

describe('terminal text', () => {
  it('shows control characters as \\xNN and keeps line feeds only in prose', () => {
    expect(visible('a\u001b[2Jb\nc\r')).toBe('a\\x1b[2Jb\nc\\x0d');
    expect(visibleLine(HOSTILE)).toBe(SHOWN);
  });

  it('shows zero-width and other invisible format characters as \\uNNNN, in prose and in one-line fields', () => {
    // A zero-width space inside a name, a zero-width joiner, a byte-order mark, a line separator
    // (which some terminals break the line at) and a tag character outside the BMP.
    const hidden = 'certctl\u200b-prod \u200d\ufeff\u2028\u{e0041}';

    expect(visible(hidden)).toBe('certctl\\u200b-prod \\u200d\\ufeff\\u2028\\u{e0041}');
    expect(visibleLine(`${hidden}\n`)).toBe('certctl\\u200b-prod \\u200d\\ufeff\\u2028\\u{e0041}\\x0a');
    // Letters, accents and emoji presentation selectors are no format characters: kept.
    expect(visible('Zürich ⚠\ufe0f')).toBe('Zürich ⚠\ufe0f');
  });

  it('prints a progress line with a hostile account, region and error message inert', () => {
    const progress = {
      done: 1,
      total: 2,
      outcome: {
        scope: { provider: 'aws', account: `1111${HOSTILE}`, region: `eu${HOSTILE}`, group: 'pitr' },
        status: 'failed',
        resources: 0,
        error: { code: 'AccessDenied', message: `denied ${HOSTILE}` },
      },
    } as unknown as AuditProgress;

    const line = progressLine(progress);

    expectInert(line.slice(0, -1));
    expect(line).toBe(`[1/2] aws:1111${SHOWN}/eu${SHOWN} pitr: NOT EVALUATED: denied ${SHOWN}\n`);
  });

  it('prints a snapshot progress line with a hostile database name inert', () => {
    const line = snapshotProgressLine({
      target: {
        provider: 'aws',
        kind: 'rds-instance',
        account: '111111111111',
        region: 'eu-west-1',
        id: HOSTILE,
      },
      stage: 'creating',
      message: `creating ${HOSTILE}`,
    });

    expect(line).toBe(`${SHOWN}: creating ${SHOWN}\n`);
  });

  it('prints the publication summary with hostile failures and errors inert', () => {
    const partial = {
      status: 'partial',
      counts: {
        created: 0,
        updated: 0,
        resolved: 0,
        archived: 0,
        refreshed: 0,
        keptAlive: 0,
        unchanged: 0,
        untouched: 0,
        failed: 1,
      },
      calls: { batchImport: 1, getFindings: 1 },
      failedCount: 1,
      failures: [
        { id: `id/${HOSTILE}`, account: '111111111111', region: `eu${HOSTILE}`, code: 'X', message: HOSTILE },
      ],
      unreadCount: 1,
      unread: [
        { id: '*', account: '111111111111', region: `us${HOSTILE}`, code: `Y${HOSTILE}`, message: HOSTILE },
      ],
    } as unknown as DeliveredPublication;

    const summary = describePublication(partial);
    expectInert(summary);
    expect(summary).toContain(`not imported: id/${SHOWN} into 111111111111/eu${SHOWN}: X ${SHOWN}`);
    expect(summary).toContain(`not read: 111111111111/us${SHOWN}: Y${SHOWN} ${SHOWN}`);

    const failed = describePublication({
      status: 'error',
      failedCount: 3,
      error: { code: `Code${HOSTILE}`, message: `refused ${HOSTILE}` },
    });
    expectInert(failed);
    expect(failed).toContain(`refused ${SHOWN} (Code${SHOWN})`);
  });

  it('prints the snapshot, prune and readiness answers with hostile names inert', () => {
    const target = {
      provider: 'aws',
      kind: 'rds-instance',
      account: '111111111111',
      region: 'eu-west-1',
      id: HOSTILE,
    };
    const snapshot = renderSnapshotResult({
      requestId: `req${HOSTILE}`,
      counts: { available: 0, creating: 0, failed: 1, busy: 0, quota: 0, error: 0 },
      results: [
        { target, outcome: 'failed', durationMs: 0, attempts: 1, error: { code: 'X', message: HOSTILE } },
      ],
      problems: [HOSTILE],
    } as unknown as SnapshotJobResult);
    const prune = renderPrune({
      applied: false,
      deleted: 0,
      kept: 1,
      pending: 0,
      entries: [
        {
          account: '111111111111',
          region: 'eu-west-1',
          snapshotId: HOSTILE,
          target: HOSTILE,
          decision: 'keep',
          reason: HOSTILE,
        },
        // An undecided entry is shown with its reason, which carries the cloud's error message.
        {
          account: '111111111111',
          region: 'eu-west-1',
          snapshotId: 'certctl-premaint-x',
          target: 'certctl-db',
          decision: 'undecided',
          reason: `who it is shared with was not read (AccessDenied: ${HOSTILE})`,
          error: { code: 'AccessDenied', message: HOSTILE },
        },
      ],
      problems: [HOSTILE],
    } as unknown as PruneResult);
    const readiness = renderReadiness({
      verdict: 'NO-GO',
      targets: [
        {
          status: 'NO-GO',
          target,
          gates: [{ gate: 'snapshot', status: 'NO-GO', evidence: HOSTILE, action: HOSTILE }],
        },
      ],
      gates: [{ gate: 'audit:pitr', coverage: 'evaluated', detail: HOSTILE }],
      notEvaluated: [HOSTILE],
    } as unknown as ReadinessResult);

    for (const text of [snapshot, prune, readiness]) {
      expectInert(text);
      expect(text).toContain(SHOWN);
    }
    expect(prune).toContain(
      `UNDECIDED 111111111111/eu-west-1/certctl-premaint-x (certctl-db): who it is shared with was not read (AccessDenied: ${SHOWN})`,
    );
  });

  it('prints an error naming a hostile argument without its escape sequence', async () => {
    const io = captureIo();

    const code = await runCli(['audit', '--format', 'table\u001b[2J'], io);

    // Error messages keep their line feeds (a policy error lists one bad field a line).
    expect(code).toBe(2);
    expectNoRawControl(io.err());
    expect(io.err()).toContain(
      "--format must be one of table, json, markdown, html, csv, asff; got 'table\\x1b[2J'",
    );
  });
});
