/**
 * A reply longer than the platform's limit is cut (replies.ts `cutText`: Slack's 3,000-character
 * section text, a line's share of an Amazon Q notification). The cut kept whole escapes only: cut
 * inside a code span, a code block or bold, it left the span open, and the rest of the message
 * (the "cut short" note with it) turned into code or bold; cut inside a Slack link or mention
 * (`<url|text>`), it left half of one. Every cut point across such spans is tried here.
 */
import { describe, expect, it } from 'vitest';
import { fitLines, SLACK_LIMITS, section } from '../../functions/chatops/replies.ts';

/** The product's own markup, as answers write it: every span closed, each delimiter only a delimiter. */
const MARKUP = [
  '*certctl-prod-db* (aws/111111111111/eu-west-1): `certctl-prod-db-chg-123-20261203` restorable',
  ' see <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PIT.html|the RDS guide>',
  ' or ask <#C012ABCDEF|ops> and <@U012ABCDEF>; _do:_ run ```aws rds describe-db-snapshots',
  ' --db-instance-identifier certctl-prod-db``` then ~stale~ &amp; &lt;done&gt; \\x07 @\u200bhere `status`',
  ' certctl\\u200b-prod \\u{e0041}.',
].join('');

/**
 * What is wrong with `text` as mrkdwn, checked apart from how replies.ts parses it: whole code
 * blocks, then whole code spans, then whole links are taken out, and what remains must hold no
 * backtick, no angle bracket, no half entity and an even number of each of `*`, `_` and `~`.
 */
function markupProblems(text: string): string[] {
  const problems: string[] = [];
  const outsideCode = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  if (outsideCode.includes('`')) problems.push('an open code span or block');
  const outsideLinks = outsideCode.replace(/<[^<>\n]*>/g, '');
  if (/[<>]/.test(outsideLinks)) problems.push('half a link or mention');
  if (/&(?!(?:amp|lt|gt);)/.test(text)) problems.push('half an entity');
  if (/\\x(?![0-9a-f]{2})/.test(text)) problems.push('half a \\x escape');
  if (/\\u(?![0-9a-f]{4}|\{[0-9a-f]+\})/.test(text)) problems.push('half a \\u escape');
  for (const delimiter of ['*', '_', '~']) {
    if (outsideLinks.split(delimiter).length % 2 === 0) problems.push(`an open ${delimiter} span`);
  }
  return problems;
}

describe('a reply cut to the platform’s limit', () => {
  it('checks what it should: the markup as written is whole', () => {
    expect(markupProblems(MARKUP)).toEqual([]);
    expect(markupProblems('*open `code')).toEqual(['an open code span or block', 'an open * span']);
  });

  it('leaves no span open and no link or escape in half, whatever the cut point (a Slack section)', () => {
    const limit = SLACK_LIMITS.sectionText;
    for (let cut = 0; cut < MARKUP.length; cut += 1) {
      // Prepare: filler (a word, then a space: a `*` just after a letter opens nothing) that puts
      // the 3,000th character at `cut` characters into the markup.
      const text = `${'x'.repeat(limit - cut - 1)} ${MARKUP}`;

      // Act
      const block = section(text);

      // Assess
      const shown = block.type === 'section' ? block.text.text : '';
      expect(shown.length, `cut at ${cut}`).toBeLessThanOrEqual(limit);
      expect(markupProblems(shown), `cut at ${cut}: ${shown.slice(limit - cut - 6)}`).toEqual([]);
      // The marker is shown, last but for the delimiters that close what the cut left open.
      expect(shown, `cut at ${cut}`).toMatch(/…(?:\*|_|~|`|```)*$/);
    }
  });

  it('keeps the note saying what was cut outside any span, in a line cut to its share', () => {
    for (let pad = 0; pad < MARKUP.length; pad += 1) {
      // Prepare: a heading and two long lines, the second shifted so its cut falls at every point.
      const lines = ['*Readiness*: NO-GO', `${'y'.repeat(pad)} ${MARKUP}`, `${MARKUP}${MARKUP}`];

      // Act
      const fitted = fitLines(lines, 700, 'run `backup-guard` from a terminal for all of it');

      // Assess: each line is whole markup, and so is the note after them.
      expect(fitted.length).toBeLessThanOrEqual(700);
      for (const line of fitted.split('\n')) expect(markupProblems(line), `pad ${pad}: ${line}`).toEqual([]);
      expect(fitted.split('\n').at(-1)).toMatch(/^_… .* cut short.*_$/);
    }
  });

  it('keeps an escape inside a code span or block whole, whatever the cut point', () => {
    // Prepare: an action quoting commands, their `>`, `&` and a control character escaped for mrkdwn
    // (escapeWording escapes inside code too: Slack decodes entities there as anywhere).
    const quoted =
      '_do:_ run `pg_restore --list ca&amp;ra.dump &gt; /dev/null` then ```aws s3 cp s3://b/\\x07 - &amp;&amp; echo &lt;ok&gt;``` now';
    const limit = SLACK_LIMITS.sectionText;
    for (let cut = 0; cut < quoted.length; cut += 1) {
      const text = `${'x'.repeat(limit - cut - 1)} ${quoted}`;

      // Act
      const block = section(text);

      // Assess
      const shown = block.type === 'section' ? block.text.text : '';
      expect(shown.length, `cut at ${cut}`).toBeLessThanOrEqual(limit);
      expect(markupProblems(shown), `cut at ${cut}: ${shown.slice(limit - cut - 6)}`).toEqual([]);
    }
  });

  it('keeps an underscore inside a name as it is, and cuts a multi-line code block closed', () => {
    // Prepare: underscores within a word format nothing in Slack, so they need no closing.
    const name = `*certctl_prod_db* ${'z'.repeat(SLACK_LIMITS.sectionText)}`;
    const block = `text\n\`\`\`\n${'line of a code block\n'.repeat(200)}\`\`\`\nafter`;

    // Act
    const cutName = section(name);
    const cutBlock = section(block);

    // Assess
    expect(cutName.type === 'section' && cutName.text.text).toMatch(/^\*certctl_prod_db\* z+…$/);
    const shownBlock = cutBlock.type === 'section' ? cutBlock.text.text : '';
    expect(shownBlock).toMatch(/…```$/);
    expect(shownBlock.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
  });
});
