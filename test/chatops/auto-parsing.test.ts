/**
 * Where Slack renders our text without `verbatim` (an Amazon Q Developer custom notification, whose
 * schema has no such flag; the `text` of a Slack message, its notification and fallback), Slack's
 * automatic parsing turns bare URLs into links, conversation names into channel links and plain
 * mentions into notifications (https://docs.slack.dev/reference/block-kit/composition-objects/text-object,
 * `verbatim`). Escaping `&`, `<` and `>` (https://docs.slack.dev/messaging/formatting-message-text,
 * "Escaping text") stops only manual markup. A reason, a ticket, a database name or a cloud error
 * carrying a URL, `#channel` or `@here_` reached the channel as a link or a mention; and the
 * product's own documentation links were bare URLs, links only where Slack parsed the text.
 */
import { describe, expect, it } from 'vitest';
import { amazonQNotification } from '../../functions/chatops/amazon-q.ts';
import { readinessAnswer, snapshotAnswer } from '../../functions/chatops/answers.ts';
import { escapeWording, type SlackMessage, withoutAutoParsing } from '../../functions/chatops/replies.ts';
import { refusalNotOfPermission } from '../../functions/core/errors.ts';
import { NO_GOOGLE_CREDENTIALS } from '../../functions/gcp/clients.ts';
import { defineCheckGroup, registerCheckGroup } from '../../functions/jobs/groups.ts';
import { canaryCheck } from '../jobs/throwaway-group/group.ts';
import { certctlProdNoGo } from './readiness-fixture.ts';

const LOCATION = 'aws/111111111111/eu-west-1';
const CLOUD_SQL_PITR = 'https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr';

/** Text as it reads: the zero-width spaces that keep it inert are invisible. */
const read = (text: string) => text.replaceAll('\u200b', '');

/** Outside the product's own links (`<…>`, which values cannot write: their `<` is escaped), nothing Slack would parse. */
function expectInert(text: string): void {
  const outside = text.replace(/<[^<>]*>/g, '');
  expect(outside).not.toMatch(/[a-z][a-z0-9+.-]*:\/\//i);
  expect(outside).not.toMatch(/\bwww\.\p{L}/iu);
  expect(outside).not.toMatch(/[a-z0-9-]\.(?:example|com)\b/i);
  expect(outside).not.toMatch(/#[\p{L}\p{N}_-]/u);
  expect(outside).not.toMatch(/@[\p{L}\p{N}_]/u);
  expect(outside).not.toMatch(/<[!@#]|&(?!(?:amp|lt|gt);)/);
}

/** The texts Slack parses without `verbatim`: a notification's, and a Slack message's `text`. */
function parsedTexts(reply: SlackMessage): string[] {
  const { content, metadata } = amazonQNotification(reply, 'thread', 'id');
  return [reply.text, content.title, content.description, metadata.summary];
}

describe('values echoed where Slack parses the text', () => {
  const hostile = snapshotAnswer(
    {
      firstRun: true,
      startedAt: '2026-12-03T12:00:00.000Z',
      targets: [
        {
          name: '@here',
          location: LOCATION,
          outcome: 'error',
          error: 'AccessDenied: ask #ops or @alice, see www.evil.example',
        },
        { name: 'certctl-prod-db', location: LOCATION, outcome: 'available', snapshotId: 'snap-1' },
      ],
      problems: ['us-east-1 not read: @here_ and @channel. were told at evil.com'],
    },
    {
      ticket: 'http://evil.example/CHG-1',
      reason: '<!channel> see http://evil.example',
      requestedBy: 'amazon-q:claimed:mallory@evil.example',
    },
  );

  it('links nowhere and mentions no one, in an Amazon Q notification and in a Slack message’s text', () => {
    // Act
    const texts = parsedTexts(hostile);

    // Assess: inert, and still there to read.
    for (const text of texts) expectInert(text);
    const all = read(texts.join('\n'));
    expect(all).toContain('&lt;!channel&gt; see http://evil.example');
    expect(all).toContain('http://evil.example/CHG-1');
    expect(all).toContain('@here');
    expect(all).toContain('ask #ops or @alice, see www.evil.example');
    expect(all).toContain('`@here_` and @channel. were told at evil.com');
  });

  it('keeps the product’s documentation links working, and links no look-alike', () => {
    // Prepare: a remediation citing the documentation, and a cloud value that imitates it.
    const reply = readinessAnswer(
      certctlProdNoGo([
        {
          gate: 'audit:pitr',
          status: 'NO-GO',
          evidence: `pitr.retention FAILED, see ${CLOUD_SQL_PITR}.evil.example/x`,
          action: `Raise the retention. See ${CLOUD_SQL_PITR}.`,
        },
      ]),
    );

    // Act
    const slack = JSON.stringify(reply.blocks);
    const { description } = amazonQNotification(reply, 'thread', 'id').content;

    // Assess: a link in Slack (verbatim keeps Slack from linking a bare URL) and in Amazon Q.
    expect(slack).toContain(`See <${CLOUD_SQL_PITR}>.`);
    expect(description).toContain(`See <${CLOUD_SQL_PITR}>.`);
    expect(slack).not.toContain(`<${CLOUD_SQL_PITR}.evil`);
    expectInert(description);
    expect(read(description)).toContain(`see ${CLOUD_SQL_PITR}.evil.example/x`);
  });
});

describe('the documentation errors cite, where an answer repeats them', () => {
  /** A Google refusal whose ErrorInfo gives `reason`, as a scope failure's evidence carries it. */
  const refusal = (reason: string) =>
    refusalNotOfPermission({
      reason,
      errorInfoMetadata: { consumer: 'projects/123456789012', service: 'sqladmin.googleapis.com' },
    }) as string;

  it('links the page an error cites (a suspended project, no Google credentials) in Slack and in Amazon Q', () => {
    // Prepare
    const cited = [
      [
        refusal('CONSUMER_SUSPENDED'),
        'https://cloud.google.com/resource-manager/docs/project-suspension-guidelines',
      ],
      [NO_GOOGLE_CREDENTIALS, 'https://cloud.google.com/docs/authentication/provide-credentials-adc'],
    ] as const;

    for (const [error, page] of cited) {
      // Act
      const reply = readinessAnswer(
        certctlProdNoGo([
          { gate: 'audit:pitr', status: 'UNKNOWN', evidence: error, action: 'Run it again.' },
        ]),
      );
      const { description } = amazonQNotification(reply, 'thread', 'id').content;

      // Assess: a link, as the checks' own documentation is.
      expect(escapeWording(error)).toContain(`<${page}>`);
      expect(description).toContain(`<${page}>`);
      expectInert(description);
    }
  });

  it('keeps an OAuth scope an error names as code: it is a value to copy, not a page', () => {
    // Act
    const { description } = amazonQNotification(
      readinessAnswer(
        certctlProdNoGo([
          {
            gate: 'audit:pitr',
            status: 'UNKNOWN',
            evidence: refusal('ACCESS_TOKEN_SCOPE_INSUFFICIENT'),
            action: 'Run it again.',
          },
        ]),
      ),
      'thread',
      'id',
    ).content;

    // Assess: copied from chat, the scope is exactly what a credentials configuration takes.
    expect(description).toContain('`https://www.googleapis.com/auth/cloud-platform`');
  });
});

describe('commands in code spans, where Slack parses the text', () => {
  it('copy exactly as written: no invisible character in a command a reader pastes into a shell', () => {
    // Prepare: a gate action whose command names a secret with an `@` (Secrets Manager allows it)
    // and reads the value from a file (`file://`, which the AWS CLI reads only when written exactly:
    // with an invisible character it would store the literal text as the secret's value).
    const command =
      'aws secretsmanager put-secret-value --secret-id certctl/ca@prod --secret-string file://ca.pem --region eu-west-1';
    const reply = readinessAnswer(
      certctlProdNoGo([
        {
          gate: 'audit:keys',
          status: 'NO-GO',
          evidence: 'keys.present FAILED for certctl/ca@prod',
          action: `Store the value certctl runs with: \`${command}\`.`,
        },
      ]),
    );

    // Act
    const slack = JSON.stringify(reply.blocks);
    const { description } = amazonQNotification(reply, 'thread', 'id').content;

    // Assess: the command is there, character for character, in Slack's answer and in Amazon Q's;
    // the prose around it stays inert.
    expect(slack).toContain(`\`${command}\``);
    expect(description).toContain(`\`${command}\``);
    expect(description).toContain('certctl/ca@\u200bprod');
  });
});

describe('product check ids, where Slack parses the text', () => {
  it('read and copy exactly as written in an Amazon Q notification: no invisible character after the dot', () => {
    // Prepare: readiness evidence naming checks, beside a value Slack would link.
    const reply = readinessAnswer(
      certctlProdNoGo([
        {
          gate: 'audit:pitr',
          status: 'NO-GO',
          evidence: 'pitr.retention FAILED (7 of 30 days); pitr.deletion-protection PASSED; see evil.com',
        },
        { gate: 'audit:dumps', status: 'NO-GO', evidence: 'dumps.protection FAILED.' },
      ]),
    );

    // Act
    const slack = JSON.stringify(reply.blocks);
    const { description } = amazonQNotification(reply, 'thread', 'id').content;

    // Assess: as code, which Slack neither links (`.protection` is a top-level domain: a bare
    // dumps.protection would be) nor changes; the value beside it is still kept from linking.
    expect(description).toContain(
      '`pitr.retention` FAILED (7 of 30 days); `pitr.deletion-protection` PASSED; see evil.\u200bcom',
    );
    expect(description).toContain('`dumps.protection` FAILED.');
    expect(description).not.toMatch(/(?:pitr|dumps)\.\u200b/);
    expectInert(description);
    // Slack's answer is sent verbatim: the ids stay as the product wrote them.
    expect(slack).toContain('pitr.retention FAILED (7 of 30 days); pitr.deletion-protection PASSED');
  });

  it('writes the check ids of groups registered at run time as code too, read at the time of writing', () => {
    // Prepare: two groups an extension registers once the module is loaded, one named with digits.
    const checkOf = (group: string, id: string) =>
      defineCheckGroup({
        name: group,
        summary: 'a group registered at run time',
        checks: [{ ...canaryCheck, metadata: { ...canaryCheck.metadata, id, group } }],
      });
    const unregister = [
      registerCheckGroup(checkOf('restore-drill', 'restore-drill.recent')),
      registerCheckGroup(checkOf('tls13', 'tls13.cert-age')),
    ];

    // Act
    let text: string;
    try {
      text = withoutAutoParsing('restore-drill.recent FAILED; tls13.cert-age PASSED; see evil.com');
    } finally {
      for (const remove of unregister) remove();
    }

    // Assess
    expect(text).toBe('`restore-drill.recent` FAILED; `tls13.cert-age` PASSED; see evil.\u200bcom');
  });

  it('leaves a look-alike that only starts like a check id to the link guard', () => {
    // Act
    const text = withoutAutoParsing('see keys.present.evil.com or @pitr.window or http://dumps.fresh/x');

    // Assess
    expect(text).toBe(
      'see keys.\u200bpresent.\u200bevil.\u200bcom or @\u200bpitr.\u200bwindow or http:\u200b//dumps.\u200bfresh/x',
    );
  });
});
