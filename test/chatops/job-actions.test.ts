/**
 * The chat actions over the jobs' ports: what the snapshot, readiness and listing results become in
 * a chat answer, and what the snapshot job is asked.
 */
import { describe, expect, it } from 'vitest';
import type { ChatSnapshotProgress } from '../../functions/chatops/actions.ts';
import { readinessAnswer, snapshotAnswer } from '../../functions/chatops/answers.ts';
import {
  type ChatJobs,
  type JobReadinessResult,
  type JobSnapshotRequest,
  jobChatActions,
} from '../../functions/chatops/job-actions.ts';

const TARGET = { provider: 'aws', account: '111111111111', region: 'eu-west-1', id: 'certctl-prod-db' };

function jobs(overrides: Partial<ChatJobs> = {}): ChatJobs & { requests: JobSnapshotRequest[] } {
  const requests: JobSnapshotRequest[] = [];
  return {
    requests,
    snapshotOnce: async (request, onProgress) => {
      requests.push(request);
      onProgress({ target: TARGET, stage: 'creating', message: 'creating x' });
      onProgress({ target: TARGET, stage: 'unknown-stage', message: 'ignored' });
      return {
        firstRun: true,
        result: {
          startedAt: '2026-12-02T10:00:00.000Z',
          results: [
            { target: TARGET, outcome: 'available', snapshotId: 'certctl-premaint-certctl-prod-db-abc' },
            {
              target: { ...TARGET, id: 'certctl-ra-db' },
              outcome: 'quota',
              error: { code: 'SnapshotQuotaExceeded', message: 'eu-west-1 holds 100 manual DB snapshots' },
            },
          ],
          problems: ['target certctl-gone was not found (or is not a PostgreSQL primary)'],
        },
      };
    },
    readiness: async () => ({
      verdict: 'GO',
      evaluatedAt: '2026-12-02T10:05:00.000Z',
      targets: [
        { target: TARGET, status: 'GO', gates: [{ gate: 'snapshot', status: 'GO', evidence: 'fresh' }] },
      ],
      notEvaluated: [],
    }),
    latestSnapshots: async () => ({
      snapshots: [
        { target: TARGET, snapshotId: 's1', state: 'available', createdAt: '2026-12-02T09:00:00Z' },
      ],
      problems: [],
    }),
    lastAudit: async () => ({ unavailable: 'no import ledger' }),
    ...overrides,
  };
}

describe('jobChatActions', () => {
  it('says a Cloud SQL refusal Google gave no reason for is a rate limit or a quota, and why it is not retried as it is', async () => {
    // Prepare: RESOURCE_EXHAUSTED without the ErrorInfo reason (run.ts records it as not said which).
    const gcpTarget = { provider: 'gcp', account: 'certctl-prod', region: 'europe-west1', id: 'certctl-pg' };
    const ports = jobs({
      snapshotOnce: async () => ({
        firstRun: true,
        result: {
          startedAt: '2026-12-02T10:00:00.000Z',
          results: [
            {
              target: gcpTarget,
              outcome: 'error',
              error: {
                code: 'RESOURCE_EXHAUSTED',
                message: 'Resource has been exhausted',
                rateLimitOrQuota: true,
              },
            },
          ],
          problems: [],
        },
      }),
    });

    // Act
    const result = await jobChatActions(ports).snapshot(
      {
        requestKey: 'k'.repeat(64),
        targets: [],
        reason: 'CA rotation',
        ticket: 'CHG-42',
        requestedBy: 'slack:T0/U0',
      },
      () => undefined,
    );

    // Assess
    expect('targets' in result ? result.targets : []).toEqual([
      {
        name: 'certctl-pg',
        location: 'gcp/certctl-prod/europe-west1',
        outcome: 'error',
        error: 'RESOURCE_EXHAUSTED: Resource has been exhausted',
        worthRetrying: false,
        rateLimitOrQuota: true,
      },
    ]);
  });

  it('asks the snapshot job once per request key, waiting, and reports per target the snapshot id or the error', async () => {
    // Prepare
    const ports = jobs();
    const progress: ChatSnapshotProgress[] = [];

    // Act
    const result = await jobChatActions(ports).snapshot(
      {
        requestKey: 'k'.repeat(64),
        targets: [],
        reason: 'CA rotation',
        ticket: 'CHG-42',
        requestedBy: 'slack:T0/U0',
      },
      (event) => progress.push(event),
    );

    // Assess
    expect(ports.requests).toEqual([
      {
        requestId: 'k'.repeat(64),
        reason: 'CA rotation',
        ticket: 'CHG-42',
        requestedBy: 'slack:T0/U0',
        wait: true,
      },
    ]);
    expect(progress).toEqual([{ target: 'certctl-prod-db', stage: 'creating', message: 'creating x' }]);
    expect(result).toEqual({
      firstRun: true,
      startedAt: '2026-12-02T10:00:00.000Z',
      targets: [
        {
          name: 'certctl-prod-db',
          location: 'aws/111111111111/eu-west-1',
          outcome: 'available',
          snapshotId: 'certctl-premaint-certctl-prod-db-abc',
        },
        {
          name: 'certctl-ra-db',
          location: 'aws/111111111111/eu-west-1',
          outcome: 'quota',
          error: 'SnapshotQuotaExceeded: eu-west-1 holds 100 manual DB snapshots',
          // The quota needs snapshots deleted or the limit raised first.
          worthRetrying: false,
        },
      ],
      problems: ['target certctl-gone was not found (or is not a PostgreSQL primary)'],
    });
  });

  it('answers NO-GO, listing each match, when a plain name named several databases and nothing was written', async () => {
    // Prepare
    const matches = [
      'arn:aws:rds:eu-west-1:111111111111:db:certctl-prod-db',
      'arn:aws:rds:us-east-1:222222222222:db:certctl-prod-db',
    ];
    const problem = `target certctl-prod-db names 2 databases: ${matches.join(', ')}; nothing was snapshotted: name the one you mean by its ARN (RDS) or project:region:instance (Cloud SQL) and ask again`;
    const ports = jobs({
      snapshotOnce: async () => ({
        firstRun: true,
        result: {
          startedAt: '2026-12-02T10:00:00.000Z',
          results: [],
          problems: [problem],
          ambiguous: [{ name: 'certctl-prod-db', matches }],
        },
      }),
    });
    const request = { ticket: 'CHG-42', reason: 'CA rotation', requestedBy: 'slack:T0/U0' };

    // Act
    const result = await jobChatActions(ports).snapshot(
      { requestKey: 'k', targets: ['certctl-prod-db'], ...request },
      () => undefined,
    );
    if ('inProgress' in result) throw new Error('unexpected in progress');
    const answer = snapshotAnswer(result, request);

    // Assess
    expect(result.ambiguous).toEqual([{ name: 'certctl-prod-db', matches }]);
    expect(answer.text).toBe('Snapshots for CHG-42: NO-GO');
    const shown = JSON.stringify(answer.blocks);
    expect(shown).toContain(
      '*NO-GO*: certctl-prod-db names 2 databases; nothing was snapshotted. Ask again naming one by its ARN or project:region:instance.',
    );
    for (const match of matches) expect(shown).toContain(match);
  });

  it('passes "in progress" through when an earlier delivery of the request still runs', async () => {
    // Prepare
    const ports = jobs({ snapshotOnce: async () => ({ inProgress: true }) });

    // Act
    const result = await jobChatActions(ports).snapshot(
      { requestKey: 'k', targets: ['db'], reason: 'r', ticket: 't', requestedBy: 'u' },
      () => undefined,
    );

    // Assess
    expect(result).toEqual({ inProgress: true });
  });

  it('names targets by id and location in readiness and status', async () => {
    // Act
    const actions = jobChatActions(jobs());
    const readiness = await actions.readiness([]);
    const status = await actions.status();

    // Assess
    expect(readiness.targets[0]).toMatchObject({
      name: 'certctl-prod-db',
      location: 'aws/111111111111/eu-west-1',
    });
    expect(status).toEqual({
      lastAudit: { unavailable: 'no import ledger' },
      snapshots: [
        {
          target: 'certctl-prod-db',
          location: 'aws/111111111111/eu-west-1',
          snapshotId: 's1',
          state: 'available',
          createdAt: '2026-12-02T09:00:00Z',
        },
      ],
      problems: [],
    });
  });

  /** The chat readiness answer's blocks, as text, over a GO of one green target and `rest` of the result. */
  async function goAnswerText(rest: Pick<JobReadinessResult, 'gates' | 'keyItemsOutside'>): Promise<string> {
    const ports = jobs({
      readiness: async () => ({
        verdict: 'GO',
        evaluatedAt: '2026-12-02T10:05:00.000Z',
        targets: [
          { target: TARGET, status: 'GO', gates: [{ gate: 'snapshot', status: 'GO', evidence: 'fresh' }] },
        ],
        notEvaluated: [],
        ...rest,
      }),
    });
    return JSON.stringify(readinessAnswer(await jobChatActions(ports).readiness([])).blocks);
  }

  it('says in the readiness answer which gates a GO did not cover (key material not configured)', async () => {
    // Act: the policy gives the keys group nothing to audit, so the GO covers PITR and the
    // snapshot only; the help promises key-material checks.
    const text = await goAnswerText({
      gates: [
        { gate: 'audit:pitr', coverage: 'evaluated', detail: '6 finding(s)' },
        {
          gate: 'audit:keys',
          coverage: 'not-configured',
          detail: 'the policy gives it nothing to audit in aws, so it is not part of the verdict',
        },
        {
          gate: 'snapshot',
          coverage: 'evaluated',
          detail: 'newest pre-maintenance snapshot of 1 target(s)',
        },
      ],
    });

    // Assess
    expect(text).toContain('Readiness for the CA rotation: GO');
    expect(text).toContain('`audit:keys` not configured: the policy gives it nothing to audit in aws');
    expect(text).not.toContain('`audit:pitr` evaluated');
  });

  it('says in the readiness answer which key-material items a GO does not cover, with their reasons', async () => {
    // Act: audit:keys evaluated and green, but the policy switched the CA key off.
    const text = await goAnswerText({
      gates: [{ gate: 'audit:keys', coverage: 'evaluated', detail: '9 finding(s)' }],
      keyItemsOutside: [
        { item: 'ca-key', source: 'CERTCTL_CA_KEY_PATH', reason: 'switched off: no local CA here' },
      ],
    });

    // Assess
    expect(text).toContain('Not part of this verdict');
    expect(text).toContain('`audit:keys` item ca-key (CERTCTL_CA_KEY_PATH): switched off: no local CA here');
  });
});
