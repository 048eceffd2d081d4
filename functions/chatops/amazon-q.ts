/**
 * Amazon Q Developer in chat runs a custom action as `lambda invoke --function-name … --payload
 * {"command":"$command"}` with `$command` filled in (infra/chat-ops.ts). Amazon Q documents no
 * escaping of a variable's value (CustomActionDefinition: "may include variables by prefixing with a
 * dollar sign ($)"), and Lambda's Invoke refuses a body that is not JSON (InvalidRequestContentException),
 * so the docs quote a reason with curly quotes (reason=“CA rotation”), which need no JSON escape.
 * The function receives only that JSON: no Slack signature, no response_url, no thread
 * (https://docs.aws.amazon.com/chatbot/latest/adminguide/intro-to-the-aws-cli-in-slack.html). Who
 * may invoke it is decided by IAM: the channel role and its guardrail policy, which grant
 * lambda:InvokeFunction on these functions and nothing else (docs/deploy.md). CLI commands time out
 * after 15 seconds there, so long commands start asynchronously, like Slack's.
 */
import { inputIssues, issuesLine } from '../core/errors.ts';
import * as z from '../core/zod.ts';
import { CommandError } from './errors.ts';
import { type ChatCommand, parseChatCommand } from './grammar.ts';
import { escapeMrkdwn, fitParts, replyParts, type SlackMessage, withoutAutoParsing } from './replies.ts';

export const amazonQPayloadSchema = z.strictObject({
  /**
   * The command text, in the same grammar as the Slack command, which also judges its length: empty
   * is `help` (a custom action's `$command` left empty), and a text too long is said with its length
   * (grammar.ts MAX_COMMAND_TEXT), as Slack's user hears them.
   */
  command: z.string(),
  /**
   * Who says they asked: whatever the invoker put in the payload (typed by the user, or a custom
   * action's variable the user fills in). Never verified: see {@link amazonQRequester}.
   */
  requestedBy: z.optional(
    z.string().check(z.regex(/^[\w.@+=:/-]{1,128}$/, 'must be a user name or ARN without spaces')),
  ),
});

export interface AmazonQRequest {
  readonly command: ChatCommand;
  readonly requestedBy?: string;
}

/** The invoke payload as a command, or a {@link CommandError} naming the bad field or word. */
export function parseAmazonQPayload(payload: unknown): AmazonQRequest {
  const value = typeof payload === 'string' ? safeJson(payload) : payload;
  if (typeof payload === 'string') {
    // A field given twice has no one value: JSON.parse keeps the last, so the command run would be
    // the one a reader of the payload sees second. Refused as the Slack form refuses it (slack.ts).
    // An object payload was parsed by the Lambda runtime before the function ran: a repeat in it is
    // gone before it could be seen.
    const repeated = repeatedKeys(payload, Object.keys(amazonQPayloadSchema.shape));
    if (repeated.length > 0) {
      throw new CommandError(
        `the payload is not a backup-guard command: ${repeated.map((field) => `${field} (given twice)`).join(', ')}. Send {"command":"help"} for the commands.`,
      );
    }
  }
  const parsed = amazonQPayloadSchema.safeParse(value);
  if (!parsed.success) {
    // The issues name the payload's keys and values, which the answer repeats in the channel.
    const issues = escapeMrkdwn(issuesLine(inputIssues(parsed.error.issues)));
    throw new CommandError(
      `the payload is not a backup-guard command: ${issues}. Send {"command":"help"} for the commands.`,
    );
  }
  const command = parseChatCommand(parsed.data.command);
  if (command instanceof CommandError) throw command;
  return { command, ...(parsed.data.requestedBy ? { requestedBy: parsed.data.requestedBy } : {}) };
}

/**
 * Who a request is recorded as having come from (the snapshot tags, the answers, the logs).
 *
 * Amazon Q Developer passes the function no identity of the chat user. It calls Lambda `Invoke`
 * with the channel's IAM role (`IamRoleArn` of the channel configuration: "a user-defined role that
 * AWS Chatbot assumes"), or a user role when the channel requires one, and the event is only the
 * `--payload` text: typed by the user, or a custom action's `CommandText` whose `$variables` the
 * user fills in (Chatbot API reference, CreateSlackChannelConfiguration, CustomActionDefinition).
 * The invocation context carries no caller either: `identity` is set only for Amazon Cognito
 * identity-pool credentials and `clientContext` only for the AWS Mobile SDK (Lambda developer guide,
 * "Using the Lambda context object"). So the only trusted fact is that the channel's role invoked
 * the function (`amazon-q:channel`); a `requestedBy` in the payload is the caller's claim, kept as
 * `amazon-q:claimed:<name>` so no tag or answer presents it as verified. The invoking role session
 * is in CloudTrail (Lambda data events), not in the invocation.
 */
export function amazonQRequester(request: Pick<AmazonQRequest, 'requestedBy'>): string {
  return request.requestedBy ? `amazon-q:claimed:${request.requestedBy}` : 'amazon-q:channel';
}

/** A `<` Slack reads as the start of a mention, a channel, a special mention or a link. */
const SLACK_CONTROL = /<(?=[!@#]|[A-Za-z][A-Za-z0-9+.-]*:)/g;

/**
 * A chat answer (mrkdwn: values escaped as `&amp;`, `&lt;`, `&gt;`, guarded by withoutAutoParsing)
 * as the invocation result shows it: the text of `lambda invoke`'s JSON `message`, which is shown as
 * written, not rendered as mrkdwn, so an entity would read as `&gt;`. The entities are decoded, and
 * a zero-width space after a `<` that would open a Slack control sequence keeps the text inert should
 * a client parse it after all: no `<!channel>` or `<@U…>` forms a mention, no `<url|text>` a link.
 */
export function invocationText(mrkdwn: string): string {
  const entities: Readonly<Record<string, string>> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };
  return mrkdwn
    .replace(/&(?:amp|lt|gt);/g, (entity) => entities[entity] ?? entity)
    .replace(SLACK_CONTROL, '<\u200b');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // The message is mrkdwn, as every answer: the placeholder's `<…>` is escaped as any value, so
    // Slack reads no link or mention in it (the invocation result decodes it back: invocationText).
    throw new CommandError(
      escapeMrkdwn(
        'the payload is not JSON: send {"command":"<command>"}, for example {"command":"help"}. Through the custom action, quote a reason with curly quotes (reason=“CA rotation”) or write it without spaces (reason=CA-rotation): a straight " in the command breaks the JSON. Name databases before reason= (snapshot certctl-prod-db reason=CA-rotation ticket=CHG-123): a plain word after the reason may be part of it or a database, so it is refused.',
      ),
    );
  }
}

/**
 * Which of `fields` the top-level object of `json` holds more than once, each named once, keys read
 * as JSON.parse reads them (`"comm\u0061nd"` is `command`). `json` is JSON: {@link safeJson} has
 * parsed it already.
 */
function repeatedKeys(json: string, fields: readonly string[]): string[] {
  // A string first, so a brace, a comma or a colon inside one is no token; numbers, literals and
  // white space match nothing and are skipped.
  const tokens = /"(?:[^"\\]|\\.)*"|[{}[\],:]/g;
  const open: { readonly object: boolean; keyNext: boolean }[] = [];
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const [token] of json.matchAll(tokens)) {
    const inner = open.at(-1);
    if (token === '{' || token === '[') open.push({ object: token === '{', keyNext: token === '{' });
    else if (token === '}' || token === ']') open.pop();
    else if (inner && token === ',') inner.keyNext = inner.object;
    else if (inner && token === ':') inner.keyNext = false;
    else if (inner?.keyNext && open.length === 1) {
      const key = JSON.parse(token) as string;
      if (fields.includes(key)) {
        if (seen.has(key)) repeated.add(key);
        seen.add(key);
      }
    }
  }
  return [...repeated];
}

/**
 * A reply as an Amazon Q Developer custom notification, the event format a channel renders from the
 * SNS topic it subscribes to: `version` 1.0, `source` custom, `content.textType` client-markdown,
 * and `metadata.threadId` so the progress and the answer of one request share a thread
 * (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html, "Event schema" and
 * "Parameter details"). With client-markdown, Amazon Q "renders notifications in the target chat
 * platform's markdown", Slack's markdown style in Slack; the schema has no field like Block Kit's
 * `verbatim`, so Slack parses the text, and every value in it is escaped for that (replies.ts
 * `escapeMrkdwn`: the same escaping as the Slack answers, which these notifications repeat).
 */
export interface AmazonQNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
  };
  readonly metadata: { readonly threadId: string; readonly summary: string };
}

/**
 * The longest description sent. The custom-notification schema documents no length for `title` or
 * `description` (custom-notifs.html, "Parameter details"); the one documented bound is SNS's, a
 * message of at most 256 KB (262,144 bytes: the SNS API reference, Publish, `Message`), which a
 * description of this length is far inside. So the cap stays Slack's section text limit (3,000
 * characters, https://api.slack.com/reference/block-kit/blocks), the platform the channel renders
 * for. The title is the answer's one-line summary, short by construction (a ticket is at most 64
 * characters, grammar.ts), and not cut.
 */
const MAX_DESCRIPTION = 3000;

export function amazonQNotification(reply: SlackMessage, threadId: string, id: string): AmazonQNotification {
  // Part by part (fitParts): one long line cannot crowd out the verdict's reasons after it, and
  // what is left out is counted as databases (entries), with what Slack's block limit left out.
  // Slack parses the notification without verbatim: each part is made inert before it is cut, so
  // the cut counts what is sent.
  const { parts, leftOut } = replyParts(reply);
  const description = fitParts(
    parts.map((part) => ({ ...part, text: withoutAutoParsing(part.text) })),
    MAX_DESCRIPTION,
    'run `backup-guard` from a terminal for all of it',
    leftOut,
  );
  const summary = withoutAutoParsing(reply.text);
  return {
    version: '1.0',
    source: 'custom',
    id,
    content: { textType: 'client-markdown', title: summary, description },
    metadata: { threadId, summary },
  };
}
