/**
 * A slash command whose text is longer than the product reads (4,000 characters) is refused saying
 * so, with its length, not as a request "missing or with bad fields": by the grammar, once the
 * request is read, so a caller the allow-lists refuse is refused first (test/chatops/middleware.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { CommandError } from '../../functions/chatops/errors.ts';
import { parseChatCommand } from '../../functions/chatops/grammar.ts';
import { parseSlashCommand } from '../../functions/chatops/slack.ts';
import { slashCommandForm } from '../sim/slack-client.ts';

describe('a slash command with very long text', () => {
  it('is read, and its text refused naming its length and the limit, as the caller’s mistake', () => {
    // Prepare: a reason pasted with a whole change description.
    const text = `snapshot certctl-prod-db ticket=CHG-42 reason="${'x'.repeat(4100)}"`;

    // Act
    const parsed = parseSlashCommand(Buffer.from(slashCommandForm(text)));
    const refused = parseChatCommand(parsed.text);

    // Assess
    expect(parsed.text).toBe(text);
    expect(refused).toBeInstanceOf(CommandError);
    expect((refused as CommandError).expose).toBe(true);
    expect((refused as CommandError).message).toBe(
      `the command is ${text.length} characters long; keep it to 4000 (a reason to 256)`,
    );
  });

  it('still reads text of 4,000 characters', () => {
    // Prepare
    const text = `readiness ${'a'.repeat(3990)}`;

    // Act
    const parsed = parseSlashCommand(Buffer.from(slashCommandForm(text)));

    // Assess
    expect(parsed.text).toBe(text);
  });
});
