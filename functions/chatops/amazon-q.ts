/**
 * Amazon Q Developer in chat runs a custom action as `lambda invoke --function-name … --payload
 * '{"command":"snapshot certctl-prod-db reason=\"CA rotation\" ticket=CHG-123"}'`. The function
 * receives only that JSON: no Slack signature, no response_url, no thread
 * (https://docs.aws.amazon.com/chatbot/latest/adminguide/intro-to-the-aws-cli-in-slack.html). Who
 * may invoke it is decided by IAM: the channel role and its guardrail policy, which grant
 * lambda:InvokeFunction on these functions and nothing else (docs/deploy.md). CLI commands time out
 * after 15 seconds there, so long commands start asynchronously, like Slack's.
 */
import * as z from 'zod';
import { inputIssues } from '../core/errors.ts';
import { CommandError } from './errors.ts';
import { type ChatCommand, parseChatCommand } from './grammar.ts';

export const amazonQPayloadSchema = z.strictObject({
  /** The command text, in the same grammar as the Slack command. */
  command: z.string().min(1).max(4000),
  /** Who asked, as the custom action's variables name them (for the log and the snapshot tags). */
  requestedBy: z
    .string()
    .regex(/^[\w.@+=:/-]{1,128}$/, 'must be a user name or ARN without spaces')
    .optional(),
});

export interface AmazonQRequest {
  readonly command: ChatCommand;
  readonly requestedBy?: string;
}

/** The invoke payload as a command, or a {@link CommandError} naming the bad field or word. */
export function parseAmazonQPayload(payload: unknown): AmazonQRequest {
  const parsed = amazonQPayloadSchema.safeParse(typeof payload === 'string' ? safeJson(payload) : payload);
  if (!parsed.success) {
    const issues = inputIssues(parsed.error.issues).map((issue) => `${issue.path}: ${issue.message}`);
    throw new CommandError(
      `the payload is not a backup-guard command: ${issues.join('; ')}. Send {"command":"help"} for the commands.`,
    );
  }
  const command = parseChatCommand(parsed.data.command);
  if (command instanceof CommandError) throw command;
  return { command, ...(parsed.data.requestedBy ? { requestedBy: parsed.data.requestedBy } : {}) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CommandError('the payload is not JSON. Send {"command":"help"} for the commands.');
  }
}
