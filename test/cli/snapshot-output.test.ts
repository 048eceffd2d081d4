/**
 * What the snapshot result's printers say of a target: the CLI's text and chat's answer word a
 * refusal the same way, from one place.
 */
import { describe, expect, it } from 'vitest';
import { RATE_LIMIT_OR_QUOTA } from '../../functions/actions/snapshot/model.ts';
import { snapshotAnswer } from '../../functions/chatops/answers.ts';
import { renderSnapshotResult } from '../../functions/cli/commands/snapshot.ts';
import type { SnapshotJobResult } from '../../functions/jobs/snapshot.ts';

const target = {
  provider: 'gcp',
  kind: 'cloudsql-instance',
  account: 'certctl-prod',
  region: 'europe-west1',
  id: 'certctl-pg',
} as const;

/** A result whose one target Cloud SQL refused with RESOURCE_EXHAUSTED, with or without a reason. */
function refused(rateLimitOrQuota: boolean): SnapshotJobResult {
  return {
    requestId: 'ticket:CHG-1',
    startedAt: '2026-12-06T12:00:00.000Z',
    finishedAt: '2026-12-06T12:00:01.000Z',
    counts: { available: 0, creating: 0, failed: 0, busy: 0, quota: 0, error: 1 },
    results: [
      {
        target,
        outcome: 'error',
        durationMs: 100,
        attempts: 1,
        error: {
          code: 'RESOURCE_EXHAUSTED',
          message: 'Resource has been exhausted',
          ...(rateLimitOrQuota ? { rateLimitOrQuota: true as const } : {}),
        },
      },
    ],
    problems: [],
    unread: [],
  } as unknown as SnapshotJobResult;
}

describe('a RESOURCE_EXHAUSTED Google gave no reason for, as each printer words it', () => {
  it('is said by the CLI as chat says it: a rate limit or a quota, not said which', () => {
    // Act
    const cli = renderSnapshotResult(refused(true));
    const chat = JSON.stringify(
      snapshotAnswer(
        {
          firstRun: true,
          startedAt: '2026-12-06T12:00:00.000Z',
          targets: [
            {
              name: 'certctl-pg',
              location: 'gcp/certctl-prod/europe-west1',
              outcome: 'error',
              error: 'RESOURCE_EXHAUSTED: Resource has been exhausted',
              worthRetrying: false,
              rateLimitOrQuota: true,
            },
          ],
          problems: [],
        },
        { ticket: 'CHG-1', reason: 'CA rotation', requestedBy: 'slack:T1/U1' },
      ).blocks,
    );

    // Assess
    expect(cli).toContain(
      `gcp/certctl-prod/europe-west1/certctl-pg: RESOURCE_EXHAUSTED: Resource has been exhausted; ${RATE_LIMIT_OR_QUOTA.what}. ${RATE_LIMIT_OR_QUOTA.advice}`,
    );
    expect(RATE_LIMIT_OR_QUOTA.what).toMatch(/a rate limit or a quota, and did not say which/);
    expect(chat).toContain(RATE_LIMIT_OR_QUOTA.what);
    expect(chat).toContain(RATE_LIMIT_OR_QUOTA.advice);
  });

  it('prints the explanation a result carries, the one its JSON gives, after the message', () => {
    // Prepare: a result that carries its words (every one made now: run.ts errorResult).
    const result = refused(true);
    const [entry] = result.results;
    const carried = {
      ...result,
      results: [{ ...entry, error: { ...entry?.error, explanation: 'the words the result carries' } }],
    } as unknown as SnapshotJobResult;

    // Act + Assess
    expect(renderSnapshotResult(carried)).toContain(
      'RESOURCE_EXHAUSTED: Resource has been exhausted; the words the result carries',
    );
  });

  it('adds nothing to a RESOURCE_EXHAUSTED whose reason said which', () => {
    expect(renderSnapshotResult(refused(false))).not.toContain(RATE_LIMIT_OR_QUOTA.what);
  });
});

describe('an adopted snapshot not recorded as one backup-guard took', () => {
  it('is said under its target in the CLI text, in the words of its result', () => {
    // Prepare
    const why =
      'adopted, not recorded: the cloud created s-1 at 2026-12-06T11:00:00.000Z, before this request was first accepted at 2026-12-06T12:00:00.000Z, so this request did not take it; prune keeps it (delete it by hand once you know whose it is)';
    const result = {
      ...refused(false),
      counts: { available: 1, creating: 0, failed: 0, busy: 0, quota: 0, error: 0 },
      results: [
        { target, outcome: 'available', snapshotId: 's-1', durationMs: 100, attempts: 0, notRecorded: why },
      ],
    } as unknown as SnapshotJobResult;

    // Act
    const cli = renderSnapshotResult(result);

    // Assess
    expect(cli).toContain(
      `gcp/certctl-prod/europe-west1/certctl-pg: s-1, 0.1 s, taken earlier by this request\n            ${why}\n`,
    );
  });

  it('is said in chat after its target, in the same words', () => {
    // Act
    const chat = JSON.stringify(
      snapshotAnswer(
        {
          firstRun: true,
          startedAt: '2026-12-06T12:00:00.000Z',
          targets: [
            {
              name: 'certctl-pg',
              location: 'gcp/certctl-prod/europe-west1',
              outcome: 'available',
              snapshotId: 's-1',
              notRecorded: 'adopted, not recorded: the cloud did not say when s-1 was created',
            },
          ],
          problems: [],
        },
        { ticket: 'CHG-1', reason: 'CA rotation', requestedBy: 'slack:T1/U1' },
      ).blocks,
    );

    // Assess
    expect(chat).toContain('(adopted, not recorded: the cloud did not say when s-1 was created)');
  });
});
