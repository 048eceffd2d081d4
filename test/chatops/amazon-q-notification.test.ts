/**
 * Answers as Amazon Q Developer custom notifications. Amazon Q renders `client-markdown` in the chat
 * platform's own markdown (Slack's mrkdwn in Slack) and takes no `verbatim` flag, so Slack parses
 * what the notification says: a plain `@channel` in a reason, or a Markdown link in a cloud error,
 * reached the channel as a mention or a link. And a long answer lost the count of what it left out:
 * it counted lines (a readiness database is several), and dropped the count the block limit had
 * already made.
 */
import { describe, expect, it } from 'vitest';
import type { ChatReadiness, ChatSnapshotResult, ChatStatus } from '../../functions/chatops/actions.ts';
import { amazonQNotification } from '../../functions/chatops/amazon-q.ts';
import { readinessAnswer, snapshotAnswer, statusAnswer } from '../../functions/chatops/answers.ts';
import { textReply } from '../../functions/chatops/replies.ts';

const LOCATION = 'aws/111111111111/eu-west-1';

/** Every way a value could mention, link or format once Slack parses it without `verbatim`. */
const HOSTILE =
  '@channel @here @Everyone <!channel> <https://evil.example|db> [click](https://evil.example) ![i](https://evil.example/i.png) a`b';

function rendered(notification: ReturnType<typeof amazonQNotification>): string {
  return [notification.content.title, notification.content.description, notification.metadata.summary].join(
    '\n',
  );
}

/** What must not survive into text Slack parses without `verbatim`. */
function expectNeutral(text: string): void {
  expect(text).not.toMatch(/@(channel|here|everyone)\b/i);
  expect(text).not.toMatch(/<[!@#]|<https?:/);
  expect(text).not.toContain('](');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is that none is left
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
}

describe('an Amazon Q notification repeating user and cloud values', () => {
  it('mentions no one and links nowhere when a database, a reason, an error and a requester carry markup', () => {
    // Prepare: a database named <!channel> (Cloud SQL and tag-selected names are not RDS
    // identifiers), a reason typed with mentions, and a cloud error quoting markup and a bell.
    const result: ChatSnapshotResult = {
      firstRun: true,
      startedAt: '2026-12-03T12:00:00.000Z',
      targets: [
        { name: '<!channel>', location: LOCATION, outcome: 'error', error: `AccessDenied: ${HOSTILE}\u0007` },
        { name: 'certctl-prod-db', location: LOCATION, outcome: 'available', snapshotId: 'snap-1' },
      ],
      problems: [`us-east-1 not read: ${HOSTILE}`],
    };

    // Act
    const notification = amazonQNotification(
      snapshotAnswer(result, { ticket: 'CHG-1', reason: HOSTILE, requestedBy: 'amazon-q:claimed:@here' }),
      'thread',
      'id',
    );

    // Assess: the values are still there to read, only inert.
    const text = rendered(notification);
    expectNeutral(text);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('\\x07');
    expect(text).toContain('@\u200bchannel');
    expect(text).toContain('NO-GO');
    // A value's backtick (the reason, a name) shows as ': it would open a span around the answer's
    // own markup. An error or a problem is the product's wording quoting the cloud's, whose code
    // spans are commands to run (escapeWording, as a readiness gate's evidence): a backtick quoted
    // there can only end a span early, which changes how it looks, not whom it mentions.
    const reasonLine = text.split('\n').find((line) => line.startsWith('*Pre-maintenance snapshots'));
    expect(reasonLine).toContain("a'b");
    expect(reasonLine).not.toContain('a`b');
  });
});

describe('a long answer as an Amazon Q notification', () => {
  const names = Array.from(
    { length: 300 },
    (_, index) => `certctl-tenant-${String(index).padStart(3, '0')}-db`,
  );
  const LIMIT = 3000;

  /** The databases a description shows, by name. */
  const shownOf = (description: string, all: readonly string[]) =>
    all.filter((name) => description.includes(`*${name}*`) || description.includes(`${name} (`));
  const notShown = (description: string) =>
    Number(/(\d+) more entr(?:y|ies)(?: and \d+ more lines?)? not shown/.exec(description)?.[1] ?? 0);

  it('keeps the verdict and the first failures of a snapshot over 300 databases, and counts the databases it leaves out', () => {
    // Prepare: long cloud errors on the first 40, the rest restorable.
    const result: ChatSnapshotResult = {
      firstRun: true,
      startedAt: '2026-12-03T12:00:00.000Z',
      targets: names.map((name, index) =>
        index < 40
          ? {
              name,
              location: LOCATION,
              outcome: 'error' as const,
              error: `InternalFailure: ${'x'.repeat(900)}`,
            }
          : { name, location: LOCATION, outcome: 'available' as const, snapshotId: `snap-${name}` },
      ),
      problems: [],
    };

    // Act
    const { description } = amazonQNotification(
      snapshotAnswer(result, { ticket: 'CHG-9', reason: 'CA rotation', requestedBy: 'amazon-q:channel' }),
      'thread',
      'id',
    ).content;

    // Assess
    expect(description.length).toBeLessThanOrEqual(LIMIT);
    expect(description).toContain('*NO-GO*: 40 of 300 databases have no restorable snapshot');
    expect(description).toContain('*certctl-tenant-000-db*');
    const shown = shownOf(description, names);
    expect(notShown(description)).toBe(names.length - shown.length);
  });

  it('counts readiness databases, not their lines, when it leaves some out', () => {
    // Prepare: 300 databases, each a line and two gate lines.
    const readiness: ChatReadiness = {
      verdict: 'NO-GO',
      evaluatedAt: '2026-12-03T12:00:00.000Z',
      targets: names.map((name) => ({
        name,
        location: LOCATION,
        status: 'NO-GO' as const,
        gates: [
          { gate: 'audit:pitr', status: 'NO-GO' as const, evidence: 'pitr.retention FAILED' },
          { gate: 'snapshot', status: 'NO-GO' as const, evidence: 'no snapshot', action: 'Run `snapshot`.' },
        ],
      })),
      notEvaluated: [],
    };

    // Act
    const { description } = amazonQNotification(readinessAnswer(readiness), 'thread', 'id').content;

    // Assess
    expect(description.length).toBeLessThanOrEqual(LIMIT);
    expect(description).toContain('Readiness for the CA rotation: NO-GO');
    expect(notShown(description)).toBe(names.length - shownOf(description, names).length);
  });

  it('keeps the count Slack’s block limit already made, in Amazon Q and in Slack’s text fallback', () => {
    // Prepare: more snapshots than 50 blocks hold.
    const status: ChatStatus = {
      lastAudit: { unavailable: 'no audit has published yet' },
      snapshots: Array.from({ length: 1600 }, (_, index) => ({
        target: `certctl-tenant-${String(index).padStart(4, '0')}-db`,
        location: LOCATION,
        snapshotId: `certctl-premaint-${index}-chg-42-0123456789`,
        state: 'available',
      })),
      problems: [],
    };
    const all = status.snapshots.map((snapshot) => snapshot.target);

    // Act
    const reply = statusAnswer(status);
    const { description } = amazonQNotification(reply, 'thread', 'id').content;
    const fallback = textReply(reply).blocks?.[0];
    const fallbackText = fallback?.type === 'section' ? fallback.text.text : '';

    // Assess
    expect(notShown(description)).toBe(all.length - shownOf(description, all).length);
    expect(notShown(fallbackText)).toBe(all.length - shownOf(fallbackText, all).length);
  });

  it.each([
    ['an escaped ampersand', '&'.repeat(4000), /&(?!amp;|lt;|gt;)/],
    ['a control character shown as \\x0a', '\n'.repeat(4000), /\\x(?![0-9a-f]{2})|\\(?!x)/],
    [
      'a surrogate pair',
      '🔑'.repeat(4000),
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
    ],
  ])('never cuts %s in two', (_, error, broken) => {
    // Prepare: one database's cloud error far longer than a notification, at every offset.
    for (let pad = 0; pad < 6; pad += 1) {
      const result: ChatSnapshotResult = {
        firstRun: true,
        startedAt: '2026-12-03T12:00:00.000Z',
        targets: [
          { name: `db${'-'.repeat(pad)}x`, location: LOCATION, outcome: 'error', error },
          { name: 'certctl-ra-db', location: LOCATION, outcome: 'error', error },
        ],
        problems: [],
      };

      // Act
      const { description } = amazonQNotification(
        snapshotAnswer(result, { ticket: 'CHG-1', reason: 'r', requestedBy: 'amazon-q:channel' }),
        'thread',
        'id',
      ).content;

      // Assess: the cut lines end in an ellipsis after whole escapes only.
      expect(description.length).toBeLessThanOrEqual(LIMIT);
      expect(description).toContain('cut short');
      for (const line of description.split('\n').filter((text) => text.endsWith('…'))) {
        expect(line).not.toMatch(broken);
      }
    }
  });
});
