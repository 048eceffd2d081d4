import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseAmazonQPayload } from '../../functions/chatops/amazon-q.ts';
import { CommandError } from '../../functions/chatops/errors.ts';
import { AMAZON_Q_COMMAND_TEXT } from '../../infra/chat-ops.ts';

/**
 * The payload the custom action's command text sends with `$command` filled in verbatim: Amazon Q
 * documents only that `CommandText` "may include variables by prefixing with a dollar sign ($)"
 * (CustomActionDefinition), not that a value is JSON-escaped, so nothing is assumed escaped.
 */
function substituted(command: string): string {
  const payload = /--payload (\{.*\})$/.exec(AMAZON_Q_COMMAND_TEXT)?.[1];
  if (!payload) throw new Error(`unexpected custom action: ${AMAZON_Q_COMMAND_TEXT}`);
  return payload.replace('$command', command);
}

describe('parseAmazonQPayload', () => {
  it('reads the same grammar as Slack when the custom action sends a command', () => {
    // Act
    const request = parseAmazonQPayload({
      command: 'snapshot certctl-prod-db reason="CA rotation" ticket=CHG-123',
      requestedBy: 'arn:aws:sts::111111111111:assumed-role/chat/alice',
    });

    // Assess
    expect(request).toEqual({
      command: { name: 'snapshot', targets: ['certctl-prod-db'], reason: 'CA rotation', ticket: 'CHG-123' },
      requestedBy: 'arn:aws:sts::111111111111:assumed-role/chat/alice',
    });
    expect(parseAmazonQPayload('{"command":"status"}')).toEqual({ command: { name: 'status' } });
  });

  it('names the bad field and points to help when the payload is not a command', () => {
    // Act / Assess
    for (const payload of [{}, { command: 'status', extra: 1 }, 'not json', null, { command: 7 }]) {
      expect(() => parseAmazonQPayload(payload)).toThrow(CommandError);
    }
    expect(() => parseAmazonQPayload({ command: 'status', extra: 1 })).toThrow(/Unrecognized key.*"extra"/);
    expect(() => parseAmazonQPayload('not json')).toThrow(
      /^the payload is not JSON: send \{"command":"&lt;command&gt;"\}/,
    );
  });

  it('names the first unknown keys of a huge payload, not all of them', () => {
    // Prepare
    const keys = Object.fromEntries(Array.from({ length: 5000 }, (_, index) => [`unknown-key-${index}`, 1]));

    // Act / Assess
    expect(() => parseAmazonQPayload({ command: 'status', ...keys })).toThrow(
      /^the payload is not a backup-guard command: \(root\): Unrecognized keys: "unknown-key-0", .{400,500}…\. Send/,
    );
  });

  it('names the field and runs nothing when a JSON payload gives a field twice', () => {
    // Prepare: JSON.parse keeps the last of two equal keys, so the command run would be the one a
    // reader of the payload sees second; an escape spells the same key another way.
    const payloads = [
      '{"command":"status","command":"snapshot certctl-prod-db reason=x ticket=CHG-1"}',
      '{"command":"status","comm\\u0061nd":"readiness"}',
      '{"command":"status","requestedBy":"alice","requestedBy":"bob"}',
    ];

    // Act / Assess
    expect(() => parseAmazonQPayload(payloads[0])).toThrow(
      'the payload is not a backup-guard command: command (given twice). Send {"command":"help"} for the commands.',
    );
    expect(() => parseAmazonQPayload(payloads[1])).toThrow(/: command \(given twice\)\./);
    expect(() => parseAmazonQPayload(payloads[2])).toThrow(/: requestedBy \(given twice\)\./);
    // A brace or a key-like text inside a value is no key.
    expect(parseAmazonQPayload('{"command":"status","requestedBy":"a"}')).toEqual({
      command: { name: 'status' },
      requestedBy: 'a',
    });
    expect(() => parseAmazonQPayload('{"command":"status {\\"command\\":1}","x":{"command":1}}')).toThrow(
      /Unrecognized key.*"x"/,
    );
  });

  it('keeps the documented custom action example JSON when Amazon Q fills in $command without escaping it', async () => {
    // Prepare: the custom action and the example value docs/deploy.md gives.
    const deploy = (await readFile('docs/deploy.md', 'utf8')).replaceAll(/\s+/g, ' ');
    const example = /`command` = `([^`]+)`/.exec(deploy)?.[1];

    // Act: Lambda's Invoke refuses a body that is not JSON (InvalidRequestContentException), before
    // the function could say anything.
    const payload = substituted(example ?? '');

    // Assess
    expect(deploy).toContain(JSON.stringify(AMAZON_Q_COMMAND_TEXT));
    expect(() => JSON.parse(payload)).not.toThrow();
    expect(parseAmazonQPayload(payload)).toEqual({
      command: { name: 'snapshot', targets: ['certctl-prod-db'], reason: 'CA rotation', ticket: 'CHG-123' },
    });
  });

  it('says how to quote a reason, and to name databases before it, when a payload is not JSON, as straight quotes substituted unescaped make it', () => {
    // Act / Assess
    expect(() =>
      parseAmazonQPayload(substituted('snapshot certctl-prod-db reason="CA rotation" ticket=CHG-123')),
    ).toThrow(
      'the payload is not JSON: send {"command":"&lt;command&gt;"}, for example {"command":"help"}. Through the custom action, quote a reason with curly quotes (reason=“CA rotation”) or write it without spaces (reason=CA-rotation): a straight " in the command breaks the JSON. Name databases before reason= (snapshot certctl-prod-db reason=CA-rotation ticket=CHG-123): a plain word after the reason may be part of it or a database, so it is refused.',
    );
  });

  it('answers an empty command with help and a long one with its length, as the Slack command does', () => {
    // Prepare: a custom action whose $command was left empty; a pasted change description.
    const long = `snapshot reason="${'x'.repeat(4000)}" ticket=CHG-1`;

    // Act / Assess
    expect(parseAmazonQPayload({ command: '' })).toEqual({ command: { name: 'help' } });
    expect(parseAmazonQPayload('{"command":""}')).toEqual({ command: { name: 'help' } });
    expect(() => parseAmazonQPayload({ command: long })).toThrow(
      `the command is ${long.length} characters long; keep it to 4000 (a reason to 256)`,
    );
  });

  it('passes grammar mistakes through as their help', () => {
    expect(() => parseAmazonQPayload({ command: 'snapshot' })).toThrow(/needs reason="…" and ticket=…/);
    // Straight single quotes survive the unescaped substitution, so the apostrophe ambiguity reaches
    // the grammar here too, and is refused there with the quote that works in Amazon Q (“…”).
    expect(() =>
      parseAmazonQPayload(substituted("snapshot certctl-prod reason='the users' certs ticket=CHG-1")),
    ).toThrow(/after `users'` may close the reason.*so `certs` may be part of the reason.*“…”/);
  });
});
