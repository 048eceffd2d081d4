import { describe, expect, it } from 'vitest';
import type { ChatReadiness, ChatSnapshotResult, ChatStatus } from '../../functions/chatops/actions.ts';
import { amazonQNotification } from '../../functions/chatops/amazon-q.ts';
import { readinessAnswer, snapshotAnswer, statusAnswer } from '../../functions/chatops/answers.ts';
import { SLACK_LIMITS } from '../../functions/chatops/replies.ts';
import { applyExceptions } from '../../functions/core/exceptions.ts';
import type { Finding } from '../../functions/core/finding.ts';
import { parsePolicy } from '../../functions/core/policy.ts';
import { auditGate } from '../../functions/jobs/readiness.ts';
import { rdsResource, retentionFinding } from '../publish/security-hub/fixtures.ts';

type Target = ChatReadiness['targets'][number];

function target(name: string, status: Target['status']): Target {
  return {
    name,
    location: 'aws/111111111111/eu-west-1',
    status,
    gates: [
      {
        gate: 'audit:pitr',
        status,
        evidence: status === 'GO' ? 'pitr.retention PASSED' : 'pitr.retention FAILED (retentionDays 7)',
        ...(status === 'GO' ? {} : { action: 'Set the retention to 30 days.' }),
      },
    ],
  };
}

const shown = (readiness: ChatReadiness) => JSON.stringify(readinessAnswer(readiness).blocks);

/** A GO of certctl-prod whose audit:pitr gate is judged from `findings`, beside a fresh snapshot. */
function goOnPitr(findings: readonly Finding[]): ChatReadiness {
  return {
    verdict: 'GO',
    evaluatedAt: '2027-01-15T00:00:00.000Z',
    targets: [
      {
        name: 'certctl-prod',
        location: 'aws/111111111111/eu-west-1',
        status: 'GO',
        gates: [auditGate('pitr', findings), { gate: 'snapshot', status: 'GO', evidence: 'fresh' }],
      },
    ],
    notEvaluated: [],
  };
}

describe('readinessAnswer', () => {
  it('shows why the verdict is not GO within the block limit when most databases are green', () => {
    // Prepare: more green databases than Slack shows blocks, the failing one and a scope not read last.
    const readiness: ChatReadiness = {
      verdict: 'NO-GO',
      evaluatedAt: '2026-12-03T12:00:00.000Z',
      targets: [
        ...Array.from({ length: SLACK_LIMITS.blocks + 10 }, (_, index) => target(`db-green-${index}`, 'GO')),
        target('db-ca-prod', 'NO-GO'),
      ],
      notEvaluated: ['audit:pitr in aws/111111111111/us-east-1/pitr: AccessDenied'],
    };

    // Act
    const blocks = readinessAnswer(readiness).blocks ?? [];

    // Assess
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(shown(readiness)).toContain('db-ca-prod');
    expect(shown(readiness)).toContain('retentionDays 7');
    expect(shown(readiness)).toContain('AccessDenied');
    expect(JSON.stringify(blocks[0])).toContain('NO-GO');
  });

  it('lists the databases that are not GO first, then what was not evaluated, then the green ones', () => {
    // Prepare
    const readiness: ChatReadiness = {
      verdict: 'NO-GO',
      evaluatedAt: '2026-12-03T12:00:00.000Z',
      targets: [
        target('db-a', 'GO'),
        target('db-b', 'UNKNOWN'),
        target('db-c', 'NO-GO'),
        target('db-d', 'GO'),
      ],
      notEvaluated: ['target db-e: named by the policy but not found'],
    };

    // Act
    const text = shown(readiness);
    const at = (part: string) => text.indexOf(part);

    // Assess
    expect([at('db-c'), at('db-b'), at('db-e'), at('db-a'), at('db-d')]).toEqual(
      [at('db-c'), at('db-b'), at('db-e'), at('db-a'), at('db-d')].sort((a, b) => a - b),
    );
    expect(at('db-a')).toBeGreaterThan(0);
  });

  it('says which accepted risk a GO rests on, with its reason and expiry', () => {
    // Prepare: pitr.retention fails on certctl-prod, and a policy exception accepts it.
    const policy = parsePolicy(
      {
        exceptions: [
          {
            resource: 'certctl-prod',
            account: '111111111111',
            check: 'pitr.retention',
            reason: 'AWS Backup plan certctl-dr keeps 35 days',
            expires: '2027-03-31',
          },
        ],
      },
      'policy',
      new Date('2027-01-15T00:00:00Z'),
    );
    const findings = applyExceptions(
      [retentionFinding(rdsResource('certctl-prod'))],
      policy,
      new Date('2027-01-15T00:00:00Z'),
    );
    // Act
    const text = shown(goOnPitr(findings));

    // Assess
    expect(text).toContain('accepted risk');
    expect(text).toContain('pitr.retention FAILED');
    expect(text).toContain('until 2027-03-31: AWS Backup plan certctl-dr keeps 35 days');
  });

  it('says which warning a GO gate passed with, as it shows accepted risk', () => {
    // Prepare: the restore window is still filling after a retention change (a WARNING, which
    // readiness lets through); every gate is GO.
    const filling = retentionFinding(rdsResource('certctl-prod'), {
      checkId: 'pitr.window',
      status: 'WARNING',
      description: 'certctl-prod: restore window still filling, 3 of 30 days accrued.',
      observed: { windowDays: 3 },
    });
    // Act
    const text = shown(
      goOnPitr([retentionFinding(rdsResource('certctl-prod'), { status: 'PASSED' }), filling]),
    );

    // Assess
    expect(text).toContain('pitr.window WARNING');
    expect(text).toContain('3 of 30 days accrued');
    expect(text).not.toContain('pitr.retention PASSED');
  });
});

describe('snapshotAnswer', () => {
  /** More restorable databases than Slack shows blocks, and the one that failed sorted last. */
  const manyTargets = (): ChatSnapshotResult => ({
    firstRun: true,
    startedAt: '2026-12-03T12:00:00.000Z',
    targets: [
      ...Array.from({ length: SLACK_LIMITS.blocks + 10 }, (_, index) => ({
        name: `db-green-${String(index).padStart(2, '0')}`,
        location: 'aws/111111111111/eu-west-1',
        outcome: 'available' as const,
        snapshotId: `certctl-premaint-db-green-${index}-0123456789`,
      })),
      {
        name: 'db-zz-ca-prod',
        location: 'aws/111111111111/eu-west-1',
        outcome: 'failed',
        snapshotId: 'certctl-premaint-db-zz-ca-prod-0123456789',
        error: 'SnapshotFailed: certctl-premaint-db-zz-ca-prod-0123456789 ended in state failed',
      },
    ],
    problems: ['111111111111/us-east-1: not read (AccessDenied)'],
  });
  const request = { ticket: 'CHG-1', reason: 'CA rotation', requestedBy: 'slack:T1/U1' };

  it('shows the NO-GO and why within the block limit when most databases are restorable', () => {
    // Act
    const blocks = snapshotAnswer(manyTargets(), request).blocks ?? [];
    const shown = JSON.stringify(blocks);

    // Assess: the verdict, the failed database and the region not read first, and the restorable
    // databases after them, sharing sections (test/chatops/readiness-many.test.ts for more).
    expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
    expect(shown).toContain('NO-GO');
    expect(shown).toContain('db-zz-ca-prod');
    expect(shown).toContain('ended in state failed');
    expect(shown).toContain('AccessDenied');
    expect(shown.indexOf('db-zz-ca-prod')).toBeLessThan(shown.indexOf('db-green-00'));
    expect(shown).toContain(`db-green-${SLACK_LIMITS.blocks + 9}`);
  });

  it('keeps the verdict and the failure in an Amazon Q notification, saying what was cut', () => {
    // Act
    const notification = amazonQNotification(snapshotAnswer(manyTargets(), request), 'thread', 'id');
    const { description } = notification.content;

    // Assess
    expect(description.length).toBeLessThanOrEqual(3000);
    expect(description).toContain('NO-GO');
    expect(description).toContain('db-zz-ca-prod');
    expect(description).toContain('AccessDenied');
    expect(description).toMatch(/not shown/);
  });

  it("counts only the databases Slack's block limit left out, not the advice and note after them", () => {
    // Prepare: 5,300 databases whose snapshot failed with a passing error (so the retry advice
    // follows them), more than 49 sections hold.
    const result: ChatSnapshotResult = {
      firstRun: true,
      startedAt: '2026-12-03T12:00:00.000Z',
      targets: Array.from({ length: 5300 }, (_, index) => ({
        name: `db-${String(index).padStart(4, '0')}`,
        location: 'aws/111111111111/eu-west-1',
        outcome: 'busy' as const,
        error: 'InvalidDBInstanceState: the database is being modified',
        worthRetrying: true,
      })),
      problems: [],
    };

    // Act
    const blocks = snapshotAnswer(result, request).blocks ?? [];
    const shown = JSON.stringify(blocks.slice(0, -1));

    // Assess: the databases listed, the rest counted as entries; the retry advice and the
    // "Requested by" note that were cut are lines, not databases.
    const listed = (shown.match(/\*db-\d{4}\*/g) ?? []).length;
    expect(blocks).toHaveLength(SLACK_LIMITS.blocks);
    expect(listed).toBeLessThan(5300);
    expect(JSON.stringify(blocks.at(-1))).toContain(
      `${5300 - listed} more entries and 2 more lines not shown`,
    );
    // The notification, which cuts further, counts them the same way.
    const { description } = amazonQNotification(snapshotAnswer(result, request), 'thread', 'id').content;
    const notified = (description.match(/\*db-\d{4}\*/g) ?? []).length;
    expect(description).toMatch(new RegExp(`${5300 - notified} more entries and \\d+ more lines not shown`));
  });
});

describe('snapshotAnswer with no database snapshotted', () => {
  const request = { ticket: 'CHG-1', reason: 'CA rotation', requestedBy: 'slack:T1/U1' };
  const nothing = (problems: string[]): ChatSnapshotResult => ({
    firstRun: true,
    startedAt: '2026-12-03T12:00:00.000Z',
    targets: [],
    problems,
  });
  const verdictLine = (result: ChatSnapshotResult) =>
    JSON.stringify(snapshotAnswer(result, request).blocks?.[1]);

  it('says no database matched only when every place was read and nothing named is missing', () => {
    // Act
    const unread = verdictLine(nothing(['aws: targets not read (AccessDenied: not authorized)']));
    const clean = verdictLine(nothing([]));

    // Assess: a listing that failed proves nothing about what matched; the verdict line says so.
    expect(clean).toContain('no database matched; nothing was snapshotted.');
    expect(unread).toContain('COULD NOT EVALUATE');
    expect(unread).not.toContain('no database matched');
    expect(unread).toContain(
      'nothing was snapshotted: some databases were not found, not read or not snapshotted here (below)',
    );
  });
});

describe('statusAnswer', () => {
  const status = (lastAudit: ChatStatus['lastAudit']): ChatStatus => ({
    lastAudit,
    snapshots: [],
    problems: [],
  });

  it('calls its time the last published audit, the newest change the ledgers record', () => {
    // Prepare: the time is the newest UpdatedAt in the import ledgers, not when an audit last ran.
    const published = status({
      at: '2026-12-02T10:00:00.000Z',
      counts: { PASSED: 2, FAILED: 1 },
      source: 'as published to Security Hub, 1 account/region',
    });

    // Act
    const text = JSON.stringify(statusAnswer(published).blocks);
    const none = JSON.stringify(statusAnswer(status({ unavailable: 'no audit has published yet' })).blocks);

    // Assess
    expect(text).toContain('*Last published audit* (2026-12-02T10:00:00.000Z, as published to Security Hub');
    expect(text).not.toContain('*Last audit');
    expect(none).toContain('*Last published audit:* not available: no audit has published yet');
  });

  it('says none of ours was found only when every database’s snapshots were listed', () => {
    // Prepare: the one database's listing failed; another status where it was listed and had none.
    const unlisted: ChatStatus = {
      ...status({ unavailable: 'none' }),
      problems: ['certctl-prod-db: snapshots not listed (AccessDenied: not authorized)'],
    };
    const listed: ChatStatus = {
      ...status({ unavailable: 'none' }),
      withoutSnapshot: [{ target: 'certctl-prod-db', location: 'aws/111111111111/eu-west-1' }],
    };

    // Act
    const failed = JSON.stringify(statusAnswer(unlisted).blocks);
    const none = JSON.stringify(statusAnswer(listed).blocks);

    // Assess
    expect(failed).not.toContain('none of ours found.');
    expect(failed).toContain(
      '*Pre-maintenance snapshots:* none of ours found among those listed; what was not listed or not covered is above.',
    );
    expect(failed).toContain('AccessDenied');
    expect(none).toContain('*Pre-maintenance snapshots:* none of ours found.');
  });
});

describe('snapshotAnswer of the product’s own wording', () => {
  it('keeps the code spans of a target’s error and of a problem, the commands they give', () => {
    // Prepare: what the snapshot job says of a stopped Cloud SQL instance (actions/snapshot/gcp.ts
    // stuckAdvice) and a problem quoting a command: the product's wording, whose backticks are
    // its code spans; a value's backtick is shown as ' only in a value (a name, a ticket).
    const result: ChatSnapshotResult = {
      firstRun: true,
      startedAt: '2026-12-03T12:00:00.000Z',
      targets: [
        {
          name: 'certctl-db',
          location: 'gcp/certctl-prod/europe-west1',
          outcome: 'failed',
          error:
            'InstanceNotRunning: Start it (`gcloud sql instances patch certctl-db --project=certctl-prod --activation-policy=ALWAYS`)',
        },
      ],
      problems: [
        'certctl-prod: backups not listed; list them with `gcloud sql backups list --instance=certctl-db`',
      ],
    };

    // Act
    const shown = JSON.stringify(
      snapshotAnswer(result, { ticket: 'CHG-`1', reason: 'CA rotation', requestedBy: 'slack:T1/U1' }).blocks,
    );

    // Assess
    expect(shown).toContain(
      '(`gcloud sql instances patch certctl-db --project=certctl-prod --activation-policy=ALWAYS`)',
    );
    expect(shown).toContain('`gcloud sql backups list --instance=certctl-db`');
    expect(shown).toContain("CHG-'1");
  });

  it('says which databases without a snapshot are worth asking again for, and which need a fix first', () => {
    // Prepare: one throttled, one refused for lack of permission, one restorable.
    const result: ChatSnapshotResult = {
      firstRun: true,
      startedAt: '2026-12-03T12:00:00.000Z',
      targets: [
        {
          name: 'certctl-throttled',
          location: 'aws/111111111111/eu-west-1',
          outcome: 'error',
          error: 'ThrottlingException: Rate exceeded',
          worthRetrying: true,
        },
        {
          name: 'certctl-denied',
          location: 'aws/111111111111/eu-west-1',
          outcome: 'error',
          error: 'AccessDenied: not authorized to perform rds:CreateDBSnapshot',
          worthRetrying: false,
        },
        {
          name: 'certctl-ok',
          location: 'aws/111111111111/eu-west-1',
          outcome: 'available',
          snapshotId: 'certctl-premaint-certctl-ok-1',
        },
      ],
      problems: [],
    };

    // Act
    const lines = JSON.stringify(
      snapshotAnswer(result, { ticket: 'CHG-1', reason: 'CA rotation', requestedBy: 'slack:T1/U1' }).blocks,
    );

    // Assess
    expect(lines).toMatch(/Worth asking again with the same ticket[^"]*: \*certctl-throttled\*\./);
    expect(lines).toMatch(
      /Not worth asking again as they are[^"]*: \*certctl-denied\*\. Fix the cause first/,
    );
    expect(lines).not.toMatch(/asking again[^"]*certctl-ok/);
  });

  it('words a refusal Google gave no reason for as a rate limit or a quota, not said which, never as the quota', () => {
    // Prepare: Cloud SQL answered RESOURCE_EXHAUSTED without the ErrorInfo reason that tells which.
    const result: ChatSnapshotResult = {
      firstRun: true,
      startedAt: '2026-12-03T12:00:00.000Z',
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
    };

    // Act
    const lines = JSON.stringify(
      snapshotAnswer(result, { ticket: 'CHG-1', reason: 'CA rotation', requestedBy: 'slack:T1/U1' }).blocks,
    );

    // Assess
    expect(lines).toMatch(/a rate limit or a quota, and did not say which[^"]*: \*certctl-pg\*/);
    expect(lines).not.toMatch(/Not worth asking again as they are/);
  });
});
