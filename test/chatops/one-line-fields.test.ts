/**
 * A value from a cloud (an API error, a finding's evidence, a resource name) is one field of one
 * line in a chat answer. A line feed in it started a line of its own, which could forge one of the
 * answer's own lines: a NO-GO answer showing a database as GO. The CLI shows such a line feed as
 * `\x0a` (publish/terminal.ts visibleLine); chat answers now do the same.
 */
import { describe, expect, it } from 'vitest';
import { amazonQNotification } from '../../functions/chatops/amazon-q.ts';
import { readinessAnswer, snapshotAnswer } from '../../functions/chatops/answers.ts';
import { replyLines } from '../../functions/chatops/replies.ts';
import { certctlProdNoGo } from './readiness-fixture.ts';

const FORGED = ':large_green_circle: *certctl-prod* (aws/111111111111/eu-west-1): GO, 3 of 3 gates green';

describe('a line feed in a cloud value', () => {
  it('does not start a line of its own in a readiness answer, in Slack or Amazon Q', () => {
    // Prepare: a dump object key (S3 keys may hold any character) quoted in a finding's evidence.
    const readiness = certctlProdNoGo([
      {
        gate: 'audit:dumps',
        status: 'NO-GO',
        evidence: `dumps.integrity FAILED on s3://certctl-dumps/nightly\n${FORGED}`,
      },
    ]);

    // Act
    const reply = readinessAnswer(readiness);
    const description = amazonQNotification(reply, 'thread', 'id').content.description;

    // Assess
    expect(replyLines(reply)).not.toContain(FORGED);
    expect(description.split('\n')).not.toContain(FORGED);
    // Shown as code where its words hold markup (replies.ts literalWords): still there to read.
    expect(
      replyLines(reply)
        .join('\n')
        .replaceAll(/[`\u200b]/g, ''),
    ).toContain(`s3://certctl-dumps/nightly\\x0a${FORGED}`);
  });

  it('does not start a line of its own in a snapshot answer', () => {
    // Act
    const reply = snapshotAnswer(
      {
        firstRun: true,
        startedAt: '2026-12-03T12:00:00.000Z',
        targets: [
          {
            name: 'certctl-prod',
            location: 'aws/111111111111/eu-west-1',
            outcome: 'error',
            error: `InternalFailure: try again\n:white_check_mark: *certctl-ra* (aws/111111111111/eu-west-1): restorable`,
          },
        ],
        problems: [],
      },
      { ticket: 'CHG-1', reason: 'CA rotation', requestedBy: 'slack:T1/U1' },
    );

    // Assess
    expect(replyLines(reply).some((line) => line.startsWith(':white_check_mark:'))).toBe(false);
  });
});
