import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { describeBackup, parseBackupDescription } from '../../functions/actions/snapshot/gcp.ts';
import { SNAPSHOT_TAGS, snapshotTags } from '../../functions/actions/snapshot/model.ts';
import { CommandError } from '../../functions/chatops/errors.ts';
import { closest, parseChatCommand, splitWords } from '../../functions/chatops/grammar.ts';

describe('parseChatCommand', () => {
  it('reads targets, a quoted reason and a ticket when a snapshot is asked for', () => {
    // Act
    const command = parseChatCommand(
      'snapshot certctl-prod-db certctl-prod-aurora reason="CA rotation" ticket=CHG-123',
    );

    // Assess
    expect(command).toEqual({
      name: 'snapshot',
      targets: ['certctl-prod-db', 'certctl-prod-aurora'],
      reason: 'CA rotation',
      ticket: 'CHG-123',
    });
  });

  it('accepts the curly quotes chat clients type and means every target when none is named', () => {
    // Act
    const command = parseChatCommand('snapshot reason=\u201cCA rotation tonight\u201d ticket=CHG-7');

    // Assess
    expect(command).toEqual({
      name: 'snapshot',
      targets: [],
      reason: 'CA rotation tonight',
      ticket: 'CHG-7',
    });
  });

  it('asks for the reason and the ticket when a snapshot command lacks them', () => {
    // Act
    const command = parseChatCommand('snapshot certctl-prod-db');

    // Assess
    expect(command).toBeInstanceOf(CommandError);
    expect((command as CommandError).message).toContain('needs reason="…" and ticket=…');
    expect((command as CommandError).status).toBe(400);
  });

  it('suggests the closest command when a command is mistyped', () => {
    // Act
    const command = parseChatCommand('snapshto reason=x ticket=CHG-1');

    // Assess
    expect((command as CommandError).message).toMatch(
      /unknown command `snapshto`; did you mean `snapshot`\?/,
    );
  });

  it('names the unknown option and the one meant when an option is mistyped', () => {
    // Act
    const command = parseChatCommand('snapshot reasn="x" ticket=CHG-1');

    // Assess
    expect((command as CommandError).message).toBe(
      '`snapshot` has no option `reasn`; did you mean `reason`?',
    );
    expect((parseChatCommand('status verbose=1') as CommandError).message).toBe(
      '`status` has no option `verbose`; it takes no options.',
    );
  });

  it('refuses a target that is not a database name and a ticket with spaces', () => {
    // Act / Assess
    expect(parseChatCommand('readiness <script>')).toBeInstanceOf(CommandError);
    expect((parseChatCommand('snapshot reason=x ticket="CHG 1"') as CommandError).message).toContain(
      'is not a ticket id',
    );
  });

  it('says to separate databases with spaces when several are named with commas, as the CLI takes them', () => {
    // Act
    const error = parseChatCommand('readiness certctl-prod-db,certctl-prod-aurora') as CommandError;

    // Assess
    expect(error).toBeInstanceOf(CommandError);
    expect(error.message.split('\n')[0]).toBe(
      '`certctl-prod-db,certctl-prod-aurora` is not a database name: name several databases with spaces between them, not commas (`readiness certctl-prod-db certctl-prod-aurora`).',
    );
  });

  it('suggests the command meant when help is asked about a mistyped one', () => {
    // Act
    const error = parseChatCommand('help snapshott') as CommandError;

    // Assess
    expect(error).toBeInstanceOf(CommandError);
    expect(error.message).toBe(
      '`help` takes one command name: snapshot, readiness, status, help; did you mean `snapshot`?',
    );
  });

  it('answers help when the text is empty, and help for one command when asked', () => {
    // Act / Assess
    expect(parseChatCommand('   ')).toEqual({ name: 'help' });
    expect(parseChatCommand('help readiness')).toEqual({ name: 'help', topic: 'readiness' });
    expect(parseChatCommand('HELP')).toEqual({ name: 'help' });
  });

  it('reads readiness and status, and refuses arguments status does not take', () => {
    // Act / Assess
    expect(parseChatCommand('readiness certctl-prod-db certctl-prod-db')).toEqual({
      name: 'readiness',
      targets: ['certctl-prod-db'],
    });
    expect(parseChatCommand('status')).toEqual({ name: 'status' });
    expect(parseChatCommand('status now')).toBeInstanceOf(CommandError);
  });

  it('reports an unclosed quote instead of guessing where the reason ends', () => {
    // Act
    const command = parseChatCommand('snapshot reason="CA rotation ticket=CHG-1');

    // Assess
    expect((command as CommandError).message).toContain('a quote is not closed');
  });
});

describe('parseChatCommand errors that repeat what was typed', () => {
  it('never echo a mention, a link or a code-span break back into Slack mrkdwn', () => {
    // Act
    const messages = [
      'snapshot <!channel> reason="x" ticket=CHG-1',
      '<!here>',
      'snapshot reason="x" ticket=<!everyone>',
      'readiness <@U0BOSS>=1',
      'snapshot `x`<https://evil.example|login> reason="x" ticket=CHG-1',
    ].map((text) => (parseChatCommand(text) as CommandError).message);

    // Assess
    for (const message of messages) {
      expect(message).not.toMatch(/[<>]/);
    }
    expect(messages[0]).toContain('`&lt;!channel&gt;` is not a database name');
    expect(messages[4]).toContain("`'x'&lt;https://evil.example|login&gt;` is not a database name");
  });
  it('shows an invisible or control character it repeats, instead of "unknown command `status`; did you mean `status`?"', () => {
    // Act: a zero-width space pasted after a command, a C1 control, a right-to-left override.
    const messages = ['status\u200b', 'status\u0085', 'readiness certctl\u202eprod'].map(
      (text) => (parseChatCommand(text) as CommandError).message,
    );

    // Assess
    expect(messages[0]).toMatch(/^unknown command `status\[U\+200B\]`; did you mean `status`\?/);
    expect(messages[1]).toMatch(/^unknown command `status\[U\+0085\]`; did you mean `status`\?/);
    expect(messages[2]).toMatch(/^`certctl\[U\+202E\]prod` is not a database name/);
    for (const message of messages) expect(message).not.toMatch(/[\u0085\u200b\u202e]/);
  });

  it('refuses a reason with an invisible or control character, naming it, and keeps tabs and line breaks', () => {
    // Act
    const reversed = parseChatCommand('snapshot reason="CA \u202erotation" ticket=CHG-1');
    const blank = parseChatCommand('snapshot reason="\u200b" ticket=CHG-1');
    const terminalEscape = parseChatCommand('snapshot reason="CA\u001b[2Jrotation" ticket=CHG-1');
    const lines = parseChatCommand('snapshot reason="CA rotation\n\tstep 2" ticket=CHG-1');

    // Assess
    expect(reversed).toBeInstanceOf(CommandError);
    expect((reversed as CommandError).message).toBe(
      'the reason holds a character nobody reading it would see (U+202E); type the reason again without it',
    );
    expect((blank as CommandError).message).toContain('(U+200B)');
    expect((terminalEscape as CommandError).message).toContain('(U+001B)');
    expect(lines).toMatchObject({ name: 'snapshot', reason: 'CA rotation\n\tstep 2' });
  });
});

describe('splitWords and closest', () => {
  it('keeps spaces inside quotes and drops empty words between spaces', () => {
    expect(splitWords('a  "b c"   d=""')).toEqual(['a', 'b c', 'd=']);
  });

  it('suggests nothing when no command is within two edits', () => {
    expect(closest('deploy', ['snapshot', 'status'])).toBeUndefined();
    expect(closest('stats', ['snapshot', 'status'])).toBe('status');
  });
});

describe('the chat commands the docs show', () => {
  it('parse, as written, in README.md and docs/deploy.md', async () => {
    // Prepare: README's ChatOps block, every `/backup-guard …` quoted in either file (folded onto
    // one line, as the Markdown wraps them), and the Amazon Q `command` value docs/deploy.md gives.
    const [readme, deploy] = await Promise.all(
      ['README.md', 'docs/deploy.md'].map((file) => readFile(file, 'utf8')),
    );
    const chatBlock = /## ChatOps[\s\S]*?```text\n([\s\S]*?)```/.exec(readme ?? '')?.[1] ?? '';
    const fromBlock = chatBlock
      .split('\n')
      .filter((line) => line.startsWith('/backup-guard '))
      .map((line) => line.slice('/backup-guard '.length));
    const folded = [readme, deploy].map((text) => (text ?? '').replace(/\s+/g, ' ')).join(' ');
    const quoted = [...folded.matchAll(/`\/backup-guard ([^`]+)`/g)].map(([, text = '']) => text);
    const amazonQ = [...folded.matchAll(/`command` = `([^`]+)`/g)].map(([, text = '']) => text);
    const commands = [...fromBlock, ...quoted, ...amazonQ];

    // Act
    const refused = commands.flatMap((text) => {
      const parsed = parseChatCommand(text);
      return parsed instanceof CommandError ? [`${text}: ${parsed.message}`] : [];
    });

    // Assess
    expect(fromBlock).toHaveLength(4);
    expect(amazonQ).toHaveLength(1);
    expect(refused).toEqual([]);
  });
});

describe('splitWords with the quotes smart punctuation and other languages type', () => {
  it('groups words in single, curly single, guillemet and low-high quotes when a reason has spaces', () => {
    // Act
    const typed = [
      "reason='CA rotation'",
      'reason=\u2018CA rotation\u2019',
      'reason=\u00abCA rotation\u00bb',
      'reason=\u00bbCA rotation\u00ab',
      'reason=\u201eCA rotation\u201c',
      'reason=\u201aCA rotation\u2018',
    ].map((text) => splitWords(`snapshot ${text} ticket=CHG-1`));

    // Assess
    for (const words of typed) expect(words).toEqual(['snapshot', 'reason=CA rotation', 'ticket=CHG-1']);
  });

  it('answers a snapshot with a reason in curly single quotes instead of calling a word a database', () => {
    // Act
    const command = parseChatCommand('snapshot reason=\u2018CA rotation\u2019 ticket=CHG-7');

    // Assess
    expect(command).toEqual({ name: 'snapshot', targets: [], reason: 'CA rotation', ticket: 'CHG-7' });
  });

  it('keeps an apostrophe inside a word as a letter when it opens or closes no quote', () => {
    expect(splitWords('reason="don\'t rotate" x')).toEqual(["reason=don't rotate", 'x']);
    expect(splitWords('reason=\u201cdon\u2019t rotate\u201d x')).toEqual(['reason=don\u2019t rotate', 'x']);
    expect(splitWords('reason=don\u2019t x')).toEqual(['reason=don\u2019t', 'x']);
    expect(splitWords("reason=don't x")).toEqual(["reason=don't", 'x']);
    // A quote closes only where the word ends, so an apostrophe inside a quoted reason stays.
    expect(splitWords("reason='don't rotate' x")).toEqual(["reason=don't rotate", 'x']);
    expect(splitWords('reason=\u2018don\u2019t rotate\u2019 x')).toEqual(['reason=don\u2019t rotate', 'x']);
    // Inside one kind of quote, the other kinds are letters.
    expect(splitWords('reason=\u2018say \u201chi\u201d\u2019 x')).toEqual(['reason=say \u201chi\u201d', 'x']);
  });

  it('names the option whose value is unquoted when a quote is not closed', () => {
    // Act: the unclosed quote is the ticket's, a bare word's, and a reason's opened mid-value.
    const ticket = parseChatCommand('snapshot reason=x ticket="CHG-1');
    const bare = parseChatCommand('snapshot \u2018certctl-prod-db reason=x ticket=CHG-1');
    const midValue = parseChatCommand('snapshot reason=CA"rotation ticket=CHG-1');

    // Assess
    expect((ticket as CommandError).message).toBe(
      'a quote is not closed: write `ticket="…"` with both quotes',
    );
    expect((bare as CommandError).message).toBe(
      'a quote is not closed: write `"…"` with both quotes (a word that starts with an apostrophe opens a quote)',
    );
    expect((midValue as CommandError).message).toBe(
      'a quote is not closed: write `reason="…"` with both quotes',
    );
  });

  it('reports a single quote that is not closed instead of guessing where the reason ends', () => {
    // Act
    const command = parseChatCommand('snapshot reason=\u2018CA rotation ticket=CHG-1');

    // Assess
    expect((command as CommandError).message).toContain('a quote is not closed');
  });
});

describe('splitWords when an apostrophe ends a word inside single quotes', () => {
  it('reports the ambiguity and suggests double quotes when a later word ends in the same quote', () => {
    // Prepare: `users'` may close the quote or be a plural possessive that `certs'` closes.
    const texts = [
      "snapshot reason='the users' certs' ticket=CHG-1",
      'snapshot reason=\u2018the users\u2019 certs\u2019 ticket=CHG-1',
      "snapshot ticket=CHG-1 reason='rotate the admins' and users' keys'",
      'snapshot reason=\u00abthe users\u00bb certs\u00bb ticket=CHG-1',
    ];

    // Act
    const answers = texts.map((text) => parseChatCommand(text));

    // Assess
    for (const answer of answers) {
      expect(answer).toBeInstanceOf(CommandError);
      expect((answer as CommandError).message).toContain('could end after');
      expect((answer as CommandError).message).toContain('reason="…"');
    }
    expect((answers[0] as CommandError).message).toBe(
      'a single quote could end after `users\'` or after `certs\'` (an apostrophe that ends a word also closes a quote): write reason="…" in double quotes, where an apostrophe is always a letter',
    );
  });

  it('reads the same reason in double quotes, and a plural possessive when no later word could close', () => {
    expect(parseChatCommand('snapshot reason="the users\' certs" ticket=CHG-1')).toEqual({
      name: 'snapshot',
      targets: [],
      reason: "the users' certs",
      ticket: 'CHG-1',
    });
    expect(splitWords("reason=the users' certs x")).toEqual(['reason=the', "users'", 'certs', 'x']);
    expect(splitWords("reason='CA rotation' ticket='CHG-1'")).toEqual(['reason=CA rotation', 'ticket=CHG-1']);
    expect(splitWords("a 'b c' d's 'e'")).toEqual(['a', 'b c', "d's", 'e']);
  });
});

describe('parseChatCommand when a word after the reason may belong to it', () => {
  it('refuses a single-quoted reason whose closing quote may be an apostrophe, naming the quote and the word, instead of snapshotting that word', () => {
    // Prepare: `users'` may close the quote, or be a plural possessive whose closing quote is
    // missing, in which case `certs` is part of the reason and no database was named by it.
    const texts = [
      "snapshot certctl-prod reason='the users' certs ticket=CHG-1",
      'snapshot certctl-prod reason=\u2018the users\u2019 certs ticket=CHG-1',
      "snapshot certctl-prod ticket=CHG-1 reason='the users' certs",
    ];

    // Act
    const answers = texts.map((text) => parseChatCommand(text));

    // Assess
    for (const answer of answers) expect(answer).toBeInstanceOf(CommandError);
    expect((answers[0] as CommandError).message).toBe(
      'the single quote after `users\'` may close the reason, or be an apostrophe whose quote is not closed, so `certs` may be part of the reason or a database: write reason="…" in double quotes ("…" or “…”), where an apostrophe is always a letter, and name databases before reason=',
    );
    expect((answers[1] as CommandError).message).toContain('after `users\u2019`');
    expect((answers[2] as CommandError).message).toContain('so `certs` may be part of the reason');
  });

  it('refuses a bare word after an unquoted reason, suggesting the quoted reason, instead of snapshotting it', () => {
    // Act
    const rotation = parseChatCommand('snapshot certctl-prod reason=CA rotation ticket=CHG-1');
    const empty = parseChatCommand('snapshot reason= certs ticket=CHG-1');

    // Assess
    expect((rotation as CommandError).message).toBe(
      '`rotation` follows reason=`CA`, which has no quotes, so it may be part of the reason or a database: write a reason with spaces in double quotes (`reason="CA rotation"`), and name databases before reason=',
    );
    expect((empty as CommandError).message).toBe(
      '`certs` follows reason= with a space between them, so it may be the reason or a database: write reason="…" with no space after =, and name databases before reason=',
    );
  });

  it('refuses a bare word right after a quoted reason too, as the quotes may have been put around part of it', () => {
    // Act: `reason="CA" rotation`: the whole reason meant, quoted short; or a database named last.
    const answers = [
      'snapshot reason="CA" rotation ticket=CHG-1',
      'snapshot reason=\u201cCA\u201d rotation ticket=CHG-1',
      'snapshot reason=\u00abCA\u00bb rotation ticket=CHG-1',
    ].map((text) => parseChatCommand(text) as CommandError);

    // Assess
    for (const answer of answers) expect(answer).toBeInstanceOf(CommandError);
    expect(answers[0]?.message).toBe(
      '`rotation` follows the quoted reason `CA`, so it may be part of the reason or a database: put it inside the quotes if it is part of the reason (`reason="CA rotation"`), and name databases before reason=',
    );
  });

  it('reads databases named before the options, or after the ticket', () => {
    const expected = { name: 'snapshot', targets: ['certctl-prod'], reason: 'CA rotation', ticket: 'CHG-1' };
    expect(parseChatCommand("snapshot reason='CA rotation' ticket=CHG-1 certctl-prod")).toEqual(expected);
    expect(parseChatCommand("snapshot certctl-prod reason='CA rotation' ticket=CHG-1")).toEqual(expected);
    expect(parseChatCommand('snapshot certctl-prod ticket=CHG-1 reason=\u00abCA rotation\u00bb')).toEqual(
      expected,
    );
  });
});

describe('parseChatCommand when a backslash is typed as an escape', () => {
  it('refuses a backslash before a space, a quote or the end, naming it, instead of reading the next word as a database', () => {
    // Act: shell habits: an escaped space, escaped quotes, a line continuation left at the end.
    const refuse = (text: string) => parseChatCommand(text) as CommandError;
    const space = refuse('snapshot reason=CA\\ rotation ticket=CHG-1');
    const quotes = refuse('snapshot reason=\\"CA rotation\\" certctl-prod ticket=CHG-1');
    const inside = refuse('snapshot reason="say \\"go\\" now" certctl-prod ticket=CHG-1');
    const trailing = refuse('snapshot certctl-prod reason="CA rotation" ticket=CHG-1 \\');

    // Assess
    expect(space).toBeInstanceOf(CommandError);
    expect(space.message).toBe(
      'a backslash escapes nothing in a chat command (`reason=CA\\`): write a value with spaces in double quotes ("…" or “…”), where a single quote is a letter (to quote inside a reason, use ‘…’ or «…»)',
    );
    expect(quotes.message).toContain('(`reason=\\"`)');
    expect(inside.message).toContain('(`say \\"`)');
    expect(trailing.message).toContain('(`\\`)');
  });

  it('keeps a backslash that escapes nothing as a letter, and quotes of another kind inside a reason', () => {
    expect(parseChatCommand('snapshot reason="C:\\certs rotated" ticket=CHG-1')).toMatchObject({
      reason: 'C:\\certs rotated',
    });
    expect(
      parseChatCommand('snapshot certctl-prod reason="say \u2018go\u2019 now" ticket=CHG-1'),
    ).toMatchObject({
      targets: ['certctl-prod'],
      reason: 'say \u2018go\u2019 now',
    });
  });
});

describe('parseChatCommand when Slack has turned a name into a link or mention', () => {
  it('names the token and says Slack sent a link or mention in place of what was typed', () => {
    // Act: with "Escape channels, users, and links" on, Slack sends `certs.example` as a link and
    // `#certs` as a channel reference.
    const [link, channel, user] = [
      'readiness <http://certs.example|certs.example>',
      'snapshot <#C0123|certs> reason="CA rotation" ticket=CHG-1',
      'readiness <@U0BOSS>',
    ].map((text) => (parseChatCommand(text) as CommandError).message.split('\n')[0]);

    // Assess
    expect(link).toBe(
      '`&lt;http://certs.example|certs.example&gt;` is not a database name: Slack sent a link there in place of what was typed (`certs.example`); name the database by its identifier, ARN or project:region:instance, which Slack does not link.',
    );
    expect(channel).toBe(
      '`&lt;#C0123|certs&gt;` is not a database name: Slack sent a channel there in place of what was typed (`#certs`); name the database by its identifier, ARN or project:region:instance, which Slack does not link.',
    );
    expect(user).toContain('Slack sent a mention there');
  });
});

describe('parseChatCommand when an option is written without its =', () => {
  it('refuses an option name where a database name goes, naming it and the form meant, instead of snapshotting a database of that name', () => {
    // Act: the reason given twice, once as `reason "…"`, so `reason` and nothing else is the odd word.
    const spaced = parseChatCommand('snapshot certctl-prod reason "CA" reason="CA rotation" ticket=CHG-1');
    const trailing = parseChatCommand('snapshot certctl-prod reason="CA rotation" ticket=CHG-1 Ticket');
    const colon = parseChatCommand('snapshot certctl-prod reason="CA rotation" ticket=CHG-1 ticket:CHG-2');

    // Assess
    expect((spaced as CommandError).message.split('\n')[0]).toBe(
      '`reason` is an option of `snapshot`, not a database name: write reason=…, with = and no space around it.',
    );
    expect((trailing as CommandError).message.split('\n')[0]).toBe(
      '`Ticket` is an option of `snapshot`, not a database name: write ticket=…, with = and no space around it.',
    );
    expect((colon as CommandError).message.split('\n')[0]).toBe(
      '`ticket:CHG-2` is an option of `snapshot`, not a database name: write ticket=…, with = and no space around it.',
    );
  });
});

describe('parseChatCommand when a closing double quote is followed by a word', () => {
  it('refuses a word typed right after the closing quote, naming it, instead of joining it to the reason', () => {
    // Act: `reason="CA rotation"certs` read as the reason "CA rotationcerts" before.
    const refuse = (text: string) => parseChatCommand(text) as CommandError;
    const straight = refuse('snapshot certctl-prod reason="CA rotation"certs ticket=CHG-1');
    const curly = refuse('snapshot certctl-prod reason=\u201cCA rotation\u201dcerts ticket=CHG-1');
    const target = refuse('readiness "certctl"-prod');

    // Assess
    expect(straight).toBeInstanceOf(CommandError);
    expect(straight.message).toBe(
      '`certs` follows the closing quote of `reason="CA rotation"` with no space between them, so it may be part of the reason or another word: put it inside the quotes if it is part of the reason, and name databases before reason=',
    );
    expect(curly.message).toContain('`certs` follows the closing quote of `reason=\u201cCA rotation\u201d`');
    expect(target.message).toBe(
      '`-prod` follows the closing quote of `"certctl"` with no space between them, so it may be part of the quoted value or another word: put it inside the quotes, or a space before it',
    );
  });

  it('reads a quoted value that ends its word, and a double quote that opens inside a word', () => {
    expect(parseChatCommand('snapshot certctl-prod reason="CA rotation" ticket=CHG-1')).toMatchObject({
      reason: 'CA rotation',
    });
    expect(parseChatCommand('snapshot certctl-prod reason=CA" rotation" ticket=CHG-1')).toMatchObject({
      reason: 'CA rotation',
    });
  });
});

describe('parseChatCommand when Slack has turned part of a reason into a link or mention', () => {
  it('keeps the text Slack shows for a channel, a mention or a link in the reason, not the reference it sent', () => {
    // Act: with "Escape channels, users, and links" on, `#certs`, `@alice` and a URL typed in a
    // reason arrive as references; Slack shows the channel, the name and the label.
    const reasonOf = (text: string) =>
      (parseChatCommand(`snapshot certctl-prod reason="${text}" ticket=CHG-1`) as { reason: string }).reason;

    // Assess
    expect(reasonOf('CA rotation, see <#C0123|certs>')).toBe('CA rotation, see #certs');
    expect(reasonOf('asked by <@U0BOSS|alice> and <@U0OPS>')).toBe('asked by @alice and @U0OPS');
    expect(reasonOf('plan <http://wiki.example/ca|wiki.example/ca> and <https://x.example/y>')).toBe(
      'plan wiki.example/ca and https://x.example/y',
    );
    expect(reasonOf('tell <!here> and <!subteam^S0OPS|@ops>')).toBe('tell @here and @ops');
    expect(reasonOf('a <b and c> d')).toBe('a <b and c> d');
  });

  it('stores the unwrapped reason in characters an RDS tag takes and a Cloud SQL description reads back', () => {
    // Prepare
    const command = parseChatCommand(
      'snapshot certctl-prod reason="CA rotation <#C0123|certs> <@U0BOSS|alice> <http://wiki.example/ca?a=1&b=2|wiki>" ticket=CHG-1',
    ) as { reason: string };
    const request = { requestId: 'r-1', reason: command.reason, requestedBy: 'alice' };

    // Act
    const tags = snapshotTags(request, new Date('2026-12-07T00:00:00Z'));
    const described = parseBackupDescription(describeBackup('certctl-pre-1', { reason: command.reason }));

    // Assess
    expect(command.reason).toBe('CA rotation #certs @alice wiki');
    expect(tags[SNAPSHOT_TAGS.reason]).toBe('CA rotation _certs @alice wiki');
    expect(tags[SNAPSHOT_TAGS.reason]).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u);
    expect(described?.tags.reason).toBe('CA rotation #certs @alice wiki');
  });
});

describe('parseChatCommand when a database is named both plainly and by its ARN', () => {
  const ARN = 'arn:aws:rds:eu-west-1:111122223333:db:certctl-prod';

  it('keeps both names: which database the plain name names is known only once the databases are read', () => {
    // Act: certctl-prod may also be a database in another account or region (or a Cloud SQL
    // instance); dropping either name here could narrow a readiness answer or hide a refusal.
    const snapshot = parseChatCommand(`snapshot certctl-prod ${ARN} reason="CA rotation" ticket=CHG-1`);
    const readiness = parseChatCommand(`readiness ${ARN} CERTCTL-PROD`);

    // Assess
    expect(snapshot).toMatchObject({ targets: ['certctl-prod', ARN] });
    expect(readiness).toEqual({ name: 'readiness', targets: [ARN, 'CERTCTL-PROD'] });
  });

  it('says, when over the limit, that a plain name and its ARN count as two and why', () => {
    // Prepare: 50 databases, one of them named again by its ARN.
    const fifty = Array.from({ length: 50 }, (_, index) => `db-${index}`);
    const arn = 'arn:aws:rds:eu-west-1:111122223333:db:db-7';
    const connection = 'certctl-prod:europe-west1:db-9';

    // Act
    const one = parseChatCommand(`readiness ${fifty.join(' ')} ${arn}`);
    const two = parseChatCommand(`readiness ${fifty.join(' ')} ${arn} ${connection}`);

    // Assess: before, "(51 named)" only, as if 51 databases had been named.
    expect((one as CommandError).message).toBe(
      `name at most 50 databases at once (51 named, counting \`db-7\` and \`${arn}\` as two: which database a plain name names is known only once the databases are read, and it may be one in another account, region or project); name each database once, by its ARN or project:region:instance where its plain name is shared`,
    );
    expect((two as CommandError).message).toContain(
      `(52 named, counting \`db-7\` and \`${arn}\` as two, and 1 more such pair:`,
    );
  });
});

describe('parseChatCommand when one database is named twice in different cases', () => {
  it('answers one target, as typed first, since RDS and Cloud SQL names are not told apart by case', () => {
    // Act
    const snapshot = parseChatCommand(
      'snapshot certctl-prod CERTCTL-PROD certctl-ra Certctl-Prod reason="CA rotation" ticket=CHG-1',
    );
    const readiness = parseChatCommand('readiness CERTCTL-PROD certctl-prod');

    // Assess
    expect(snapshot).toMatchObject({ targets: ['certctl-prod', 'certctl-ra'] });
    expect(readiness).toEqual({ name: 'readiness', targets: ['CERTCTL-PROD'] });
  });

  it('counts databases, not names, against the limit of 50', () => {
    // Prepare
    const fifty = Array.from({ length: 50 }, (_, index) => `db-${index}`);

    // Act
    const repeated = parseChatCommand(`readiness ${fifty.join(' ')} DB-0`);
    const tooMany = parseChatCommand(`readiness ${fifty.join(' ')} db-50`);

    // Assess
    expect(repeated).toMatchObject({ targets: fifty });
    expect((tooMany as CommandError).message).toBe('name at most 50 databases at once (51 named)');
  });
});
